import type { Migration } from '../store/sql-database.js';

/**
 * Gateways, their events and the tickets built from them. core-1 is the schema of the first
 * release (SQLite only then); later migrations add the engineers' side of a ticket. The ids keep
 * their `core-` prefix (databases record them), and core-1 also holds the access module's
 * gateway_tokens table, from before modules had migrations of their own.
 */
export const ticketsMigrations: readonly Migration[] = [
  {
    id: 'core-1',
    sqlite: `
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
      CREATE INDEX tickets_by_asset ON tickets (asset_id, id);`,
    postgres: `
      CREATE TABLE gateway_tokens (
        token_hash TEXT PRIMARY KEY,
        gateway_id TEXT NOT NULL,
        token_prefix TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      );
      CREATE TABLE gateways (
        gateway_id TEXT PRIMARY KEY,
        acked_seq BIGINT NOT NULL DEFAULT 0,
        events_received BIGINT NOT NULL DEFAULT 0,
        duplicates_ignored BIGINT NOT NULL DEFAULT 0,
        last_seen TEXT
      );
      CREATE TABLE events (
        gateway_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        type TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        at TEXT NOT NULL,
        received_at TEXT NOT NULL,
        body TEXT NOT NULL,
        PRIMARY KEY (gateway_id, seq)
      );
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
      );
      CREATE INDEX tickets_by_status ON tickets (status, id);
      CREATE INDEX tickets_by_site ON tickets (site, id);
      CREATE INDEX tickets_by_asset ON tickets (asset_id, id);`,
  },
  {
    // The review side: engineer-owned columns the edge never writes, comments, the audit trail,
    // and what a gateway reports about its own backlog.
    id: 'core-2-review',
    sqlite: `
      ALTER TABLE tickets ADD COLUMN severity_rank INTEGER NOT NULL DEFAULT 3;
      ALTER TABLE tickets ADD COLUMN due_at TEXT NOT NULL DEFAULT '';
      ALTER TABLE tickets ADD COLUMN opened_at TEXT NOT NULL DEFAULT '';
      ALTER TABLE tickets ADD COLUMN rule_id TEXT NOT NULL DEFAULT '';
      ALTER TABLE tickets ADD COLUMN rule_version TEXT NOT NULL DEFAULT '';
      ALTER TABLE tickets ADD COLUMN predicted INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE tickets ADD COLUMN assignee TEXT;
      ALTER TABLE tickets ADD COLUMN close_out TEXT;
      ALTER TABLE tickets ADD COLUMN outcome TEXT;
      ALTER TABLE tickets ADD COLUMN duplicate_of TEXT;
      ALTER TABLE tickets ADD COLUMN lead_time_ms INTEGER;
      ALTER TABLE tickets ADD COLUMN review_updated_at TEXT;
      UPDATE tickets SET
        severity_rank = CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
        opened_at = json_extract(body, '$.firstSeen'),
        due_at = coalesce(json_extract(body, '$.dueAt'), json_extract(body, '$.firstSeen')),
        rule_id = json_extract(body, '$.rule.id'),
        rule_version = json_extract(body, '$.rule.version'),
        predicted = json_extract(body, '$.prediction') IS NOT NULL;
      CREATE INDEX tickets_by_urgency ON tickets (severity_rank, due_at, id);
      CREATE INDEX tickets_by_rule ON tickets (rule_id, rule_version);
      CREATE TABLE ticket_comments (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_id TEXT NOT NULL,
        at TEXT NOT NULL,
        author TEXT NOT NULL,
        text TEXT NOT NULL
      ) STRICT;
      CREATE INDEX ticket_comments_by_ticket ON ticket_comments (ticket_id, id);
      CREATE TABLE ticket_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_id TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
      ) STRICT;
      CREATE INDEX ticket_audit_by_ticket ON ticket_audit (ticket_id, id);
      ALTER TABLE gateways ADD COLUMN reported_pending INTEGER;
      ALTER TABLE gateways ADD COLUMN reported_last_seq INTEGER;
      ALTER TABLE gateways ADD COLUMN reported_oldest_pending_age_ms INTEGER;`,
    postgres: `
      ALTER TABLE tickets ADD COLUMN severity_rank INTEGER NOT NULL DEFAULT 3;
      ALTER TABLE tickets ADD COLUMN due_at TEXT NOT NULL DEFAULT '';
      ALTER TABLE tickets ADD COLUMN opened_at TEXT NOT NULL DEFAULT '';
      ALTER TABLE tickets ADD COLUMN rule_id TEXT NOT NULL DEFAULT '';
      ALTER TABLE tickets ADD COLUMN rule_version TEXT NOT NULL DEFAULT '';
      ALTER TABLE tickets ADD COLUMN predicted INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE tickets ADD COLUMN assignee TEXT;
      ALTER TABLE tickets ADD COLUMN close_out TEXT;
      ALTER TABLE tickets ADD COLUMN outcome TEXT;
      ALTER TABLE tickets ADD COLUMN duplicate_of TEXT;
      ALTER TABLE tickets ADD COLUMN lead_time_ms BIGINT;
      ALTER TABLE tickets ADD COLUMN review_updated_at TEXT;
      CREATE INDEX tickets_by_urgency ON tickets (severity_rank, due_at, id);
      CREATE INDEX tickets_by_rule ON tickets (rule_id, rule_version);
      CREATE TABLE ticket_comments (
        id BIGSERIAL PRIMARY KEY,
        ticket_id TEXT NOT NULL,
        at TEXT NOT NULL,
        author TEXT NOT NULL,
        text TEXT NOT NULL
      );
      CREATE INDEX ticket_comments_by_ticket ON ticket_comments (ticket_id, id);
      CREATE TABLE ticket_audit (
        id BIGSERIAL PRIMARY KEY,
        ticket_id TEXT NOT NULL,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
      );
      CREATE INDEX ticket_audit_by_ticket ON ticket_audit (ticket_id, id);
      ALTER TABLE gateways ADD COLUMN reported_pending BIGINT;
      ALTER TABLE gateways ADD COLUMN reported_last_seq BIGINT;
      ALTER TABLE gateways ADD COLUMN reported_oldest_pending_age_ms BIGINT;`,
  },
  {
    // Events may overtake a backlog (newest first after an outage) and apply once their asset's
    // previous event has: the chain link and whether each stored event is applied. A ticket
    // remembers when the cloud first saw it, to tell historical tickets from live ones.
    id: 'core-3-asset-order',
    sqlite: `
      ALTER TABLE events ADD COLUMN prev_seq INTEGER;
      ALTER TABLE events ADD COLUMN applied INTEGER NOT NULL DEFAULT 0;
      UPDATE events SET applied = 1
        WHERE seq <= (SELECT g.acked_seq FROM gateways g WHERE g.gateway_id = events.gateway_id);
      ALTER TABLE tickets ADD COLUMN first_received_at TEXT;`,
    postgres: `
      ALTER TABLE events ADD COLUMN prev_seq BIGINT;
      ALTER TABLE events ADD COLUMN applied INTEGER NOT NULL DEFAULT 0;
      UPDATE events SET applied = 1
        WHERE seq <= (SELECT g.acked_seq FROM gateways g WHERE g.gateway_id = events.gateway_id);
      ALTER TABLE tickets ADD COLUMN first_received_at TEXT;`,
  },
  {
    // The change log every integration reads (event bus, routing, notifications), the cursor each
    // consumer has reached with a lease so one instance of several works it, and the CMMS work
    // order stored back on a ticket.
    id: 'core-4-ticket-changes',
    sqlite: `
      CREATE TABLE ticket_changes (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        site TEXT NOT NULL,
        body TEXT NOT NULL
      ) STRICT;
      CREATE INDEX ticket_changes_by_site ON ticket_changes (site, id);
      CREATE TABLE change_consumers (
        name TEXT PRIMARY KEY,
        cursor INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until TEXT
      ) STRICT;
      ALTER TABLE tickets ADD COLUMN work_order TEXT;`,
    postgres: `
      CREATE TABLE ticket_changes (
        id BIGSERIAL PRIMARY KEY,
        at TEXT NOT NULL,
        type TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        site TEXT NOT NULL,
        body TEXT NOT NULL
      );
      CREATE INDEX ticket_changes_by_site ON ticket_changes (site, id);
      CREATE TABLE change_consumers (
        name TEXT PRIMARY KEY,
        cursor BIGINT NOT NULL,
        lease_owner TEXT,
        lease_until TEXT
      );
      ALTER TABLE tickets ADD COLUMN work_order TEXT;`,
  },
  {
    // Events a gateway set aside after refusals of their content, as it reports them: the gateway
    // view says why a seq is missing, and later events need not wait for it. A row goes when its
    // event is stored (resent after a fix).
    id: 'core-5-set-aside-events',
    sqlite: `
      CREATE TABLE set_aside_events (
        gateway_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        set_aside_at TEXT NOT NULL,
        reported_at TEXT NOT NULL,
        PRIMARY KEY (gateway_id, seq)
      ) STRICT;`,
    postgres: `
      CREATE TABLE set_aside_events (
        gateway_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        type TEXT NOT NULL,
        ticket_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        set_aside_at TEXT NOT NULL,
        reported_at TEXT NOT NULL,
        PRIMARY KEY (gateway_id, seq)
      );`,
  },
  {
    // A ticket may have several contributing rules (shared/schema Ticket.contributors): the track
    // record credits each for its own firings, so the rules behind a ticket get a table of their
    // own. Tickets stored before it count for the one rule they were raised by.
    id: 'core-6-ticket-rules',
    sqlite: `
      CREATE TABLE ticket_rules (
        ticket_id TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        rule_version TEXT NOT NULL,
        PRIMARY KEY (ticket_id, rule_id, rule_version)
      ) STRICT;
      CREATE INDEX ticket_rules_by_rule ON ticket_rules (rule_id, rule_version);
      INSERT INTO ticket_rules (ticket_id, rule_id, rule_version)
        SELECT id, rule_id, rule_version FROM tickets WHERE rule_id <> '';`,
    postgres: `
      CREATE TABLE ticket_rules (
        ticket_id TEXT NOT NULL,
        rule_id TEXT NOT NULL,
        rule_version TEXT NOT NULL,
        PRIMARY KEY (ticket_id, rule_id, rule_version)
      );
      CREATE INDEX ticket_rules_by_rule ON ticket_rules (rule_id, rule_version);
      INSERT INTO ticket_rules (ticket_id, rule_id, rule_version)
        SELECT id, rule_id, rule_version FROM tickets WHERE rule_id <> '';`,
  },
];
