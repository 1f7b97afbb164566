import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { openDurableSqlite, statementCache } from '../../shared/sqlite.js';
import type { OutboxEvent, Ticket } from '../../shared/schema/index.js';
import {
  type ApplyResult,
  type CloudStore,
  type GatewaySummary,
  type GatewayTokenInfo,
  hashToken,
  mergeEdgeTicket,
  newGatewayToken,
  type TicketFilter,
  type TicketPage,
} from './store.js';

/** Ordered migrations; user_version records how many have run. Append, never edit. */
const MIGRATIONS = [
  `
  CREATE TABLE gateway_tokens (
    token_hash TEXT PRIMARY KEY,
    gateway_id TEXT NOT NULL,
    token_prefix TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  ) STRICT;
  CREATE TABLE gateways (
    gateway_id TEXT PRIMARY KEY,
    acked_seq INTEGER NOT NULL DEFAULT 0,
    events_received INTEGER NOT NULL DEFAULT 0,
    duplicates_ignored INTEGER NOT NULL DEFAULT 0,
    last_seen TEXT
  ) STRICT;
  CREATE TABLE events (
    gateway_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    type TEXT NOT NULL,
    ticket_id TEXT NOT NULL,
    at TEXT NOT NULL,
    received_at TEXT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (gateway_id, seq)
  ) STRICT;
  CREATE TABLE tickets (
    id TEXT PRIMARY KEY,
    gateway_id TEXT NOT NULL,
    site TEXT NOT NULL,
    asset_id TEXT NOT NULL,
    fault TEXT NOT NULL,
    severity TEXT NOT NULL,
    status TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    body TEXT NOT NULL
  ) STRICT;
  CREATE INDEX tickets_by_status ON tickets (status, id);
  CREATE INDEX tickets_by_site ON tickets (site, id);
  CREATE INDEX tickets_by_asset ON tickets (asset_id, id);
  `,
];

export class SqliteStore implements CloudStore {
  private readonly db: Database.Database;
  private readonly sql: (text: string) => Database.Statement;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    // An acknowledged event must survive a power cut: the gateway forgets it once we answer.
    this.db = openDurableSqlite(path, 5000);
    this.sql = statementCache(this.db);
    this.migrate();
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let i = version; i < MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[i] ?? '');
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  async applyEvents(gatewayId: string, events: OutboxEvent[]): Promise<ApplyResult> {
    return this.db.transaction(() => this.applyInTransaction(gatewayId, events))();
  }

  private applyInTransaction(gatewayId: string, events: OutboxEvent[]): ApplyResult {
    const now = new Date().toISOString();
    this.sql('INSERT INTO gateways (gateway_id) VALUES (?) ON CONFLICT DO NOTHING').run(gatewayId);
    const gateway = this.sql('SELECT acked_seq FROM gateways WHERE gateway_id = ?').get(gatewayId) as {
      acked_seq: number;
    };
    let ackedSeq = gateway.acked_seq;
    let duplicates = 0;
    let received = 0;
    const insert = this.sql(
      'INSERT INTO events (gateway_id, seq, type, ticket_id, at, received_at, body) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
    );
    // The batch's own events need not be read back from the table to be applied.
    const inBatch = new Map<number, OutboxEvent>();
    for (const event of events) {
      if (event.seq <= ackedSeq) {
        duplicates++;
        continue;
      }
      const inserted = insert.run(
        gatewayId,
        event.seq,
        event.type,
        event.ticket.id,
        event.at,
        now,
        JSON.stringify(event),
      );
      if (inserted.changes === 1) {
        received++;
        inBatch.set(event.seq, event);
      } else duplicates++;
    }

    // Apply strictly in seq order, so a ticket's updates never overtake its opening. Events held
    // behind an earlier gap come from the table; each ticket is written once, in its final state.
    const next = this.sql('SELECT body FROM events WHERE gateway_id = ? AND seq = ?');
    const changed = new Map<string, { ticket: Ticket; at: string }>();
    let applied = 0;
    for (;;) {
      const seq = ackedSeq + 1;
      let event = inBatch.get(seq);
      if (!event) {
        const row = next.get(gatewayId, seq) as { body: string } | undefined;
        if (!row) break;
        event = JSON.parse(row.body) as OutboxEvent;
      }
      const before = changed.get(event.ticket.id)?.ticket ?? this.storedTicket(event.ticket.id);
      changed.set(event.ticket.id, { ticket: mergeEdgeTicket(event.ticket, before), at: event.at });
      ackedSeq = seq;
      applied++;
    }
    for (const { ticket, at } of changed.values()) this.saveTicket(ticket, at);
    const held = this.sql('SELECT count(*) AS n FROM events WHERE gateway_id = ? AND seq > ?').get(
      gatewayId,
      ackedSeq,
    ) as {
      n: number;
    };
    this.sql(
      `UPDATE gateways SET acked_seq = ?, events_received = events_received + ?,
         duplicates_ignored = duplicates_ignored + ?, last_seen = ? WHERE gateway_id = ?`,
    ).run(ackedSeq, received, duplicates, now, gatewayId);
    return { ackedSeq, applied, duplicates, heldBehindGap: held.n };
  }

  private storedTicket(id: string): Ticket | undefined {
    const row = this.sql('SELECT body FROM tickets WHERE id = ?').get(id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as Ticket) : undefined;
  }

  private saveTicket(ticket: Ticket, updatedAt: string): void {
    this.sql(
      `INSERT INTO tickets (id, gateway_id, site, asset_id, fault, severity, status, updated_at, body)
         VALUES (@id, @gatewayId, @site, @assetId, @fault, @severity, @status, @updatedAt, @body)
         ON CONFLICT (id) DO UPDATE SET severity = excluded.severity, status = excluded.status,
           updated_at = excluded.updated_at, body = excluded.body`,
    ).run({
      id: ticket.id,
      gatewayId: ticket.gatewayId,
      site: ticket.site,
      assetId: ticket.assetId,
      fault: ticket.fault,
      severity: ticket.severity,
      status: ticket.status,
      updatedAt,
      body: JSON.stringify(ticket),
    });
  }

  async listTickets(filter: TicketFilter): Promise<TicketPage> {
    const where: string[] = [];
    const params: Record<string, string | number> = { limit: filter.limit + 1 };
    const add = (column: string, name: string, value: string | undefined, op = '=') => {
      if (value === undefined) return;
      where.push(`${column} ${op} @${name}`);
      params[name] = value;
    };
    add('status', 'status', filter.status);
    add('site', 'site', filter.site);
    add('asset_id', 'assetId', filter.assetId);
    add('fault', 'fault', filter.fault);
    add('id', 'cursor', filter.cursor, '<');
    const rows = this.sql(
      `SELECT body FROM tickets ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT @limit`,
    ).all(params) as { body: string }[];
    const tickets = rows.slice(0, filter.limit).map((r) => JSON.parse(r.body) as Ticket);
    const last = tickets.at(-1);
    return rows.length > filter.limit && last ? { tickets, nextCursor: last.id } : { tickets };
  }

  async getTicket(id: string): Promise<Ticket | undefined> {
    return this.storedTicket(id);
  }

  async gateways(): Promise<GatewaySummary[]> {
    const rows = this.sql(
      `SELECT g.gateway_id, g.acked_seq, g.events_received, g.duplicates_ignored, g.last_seen,
           (SELECT count(*) FROM events e WHERE e.gateway_id = g.gateway_id AND e.seq > g.acked_seq) AS held
         FROM gateways g ORDER BY g.gateway_id`,
    ).all() as {
      gateway_id: string;
      acked_seq: number;
      events_received: number;
      duplicates_ignored: number;
      last_seen: string | null;
      held: number;
    }[];
    return rows.map((r) => ({
      gatewayId: r.gateway_id,
      ackedSeq: r.acked_seq,
      eventsReceived: r.events_received,
      duplicatesIgnored: r.duplicates_ignored,
      ...(r.last_seen ? { lastSeen: r.last_seen } : {}),
      ...(r.held > 0 ? { gap: { firstMissingSeq: r.acked_seq + 1, heldEvents: r.held } } : {}),
    }));
  }

  async createGatewayToken(gatewayId: string): Promise<string> {
    const token = newGatewayToken();
    this.sql(
      'INSERT INTO gateway_tokens (token_hash, gateway_id, token_prefix, created_at) VALUES (?, ?, ?, ?)',
    ).run(hashToken(token), gatewayId, token.slice(0, 10), new Date().toISOString());
    return token;
  }

  async gatewayForToken(token: string): Promise<string | undefined> {
    const row = this.sql(
      'SELECT gateway_id FROM gateway_tokens WHERE token_hash = ? AND revoked_at IS NULL',
    ).get(hashToken(token)) as { gateway_id: string } | undefined;
    return row?.gateway_id;
  }

  async revokeGatewayTokens(gatewayId: string): Promise<number> {
    return this.sql(
      'UPDATE gateway_tokens SET revoked_at = ? WHERE gateway_id = ? AND revoked_at IS NULL',
    ).run(new Date().toISOString(), gatewayId).changes;
  }

  async listGatewayTokens(): Promise<GatewayTokenInfo[]> {
    const rows = this.sql(
      'SELECT gateway_id, token_prefix, created_at, revoked_at FROM gateway_tokens ORDER BY gateway_id, created_at',
    ).all() as { gateway_id: string; token_prefix: string; created_at: string; revoked_at: string | null }[];
    return rows.map((r) => ({
      gatewayId: r.gateway_id,
      tokenPrefix: r.token_prefix,
      createdAt: r.created_at,
      ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}),
    }));
  }

  async ping(): Promise<void> {
    this.sql('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
