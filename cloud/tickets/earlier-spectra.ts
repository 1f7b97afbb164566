import type { EarlierSpectraReply, EarlierSpectrum, Ticket } from '../../shared/schema/index.js';
import { placeholders, type SqlExecutor, type SqlValue } from '../store/sql-database.js';

export interface EarlierSpectraOptions {
  /** At most this many, newest first. */
  limit: number;
  /** undefined: every site (an admin or an all-sites user). */
  sites?: readonly string[];
}

/** Rows are read in pages of this many: an asset's tickets on other channels or without spectra are skipped. */
const PAGE = 200;

type Direction = 'newest' | 'oldest';

interface Row {
  id: string;
  opened_at: string;
  body: string;
}

const spectraOf = (row: Row, channel: string): EarlierSpectrum | undefined => {
  const ticket = JSON.parse(row.body) as Ticket;
  const { evidence } = ticket;
  if (evidence.channel !== channel || !(evidence.spectrum || evidence.envelopeSpectrum)) return undefined;
  return {
    ticketId: ticket.id,
    at: row.opened_at,
    title: ticket.title,
    ...(evidence.spectrum ? { spectrum: evidence.spectrum } : {}),
    ...(evidence.envelopeSpectrum ? { envelopeSpectrum: evidence.envelopeSpectrum } : {}),
  };
};

/**
 * Tickets of `ticket`'s asset opened before it, on its channel, carrying spectra: newest first, or
 * from the oldest (the baseline). The channel lives only in the ticket's body, so the asset's tickets
 * are read a page at a time (keyset on opened_at, id) until enough match.
 */
async function scan(
  db: SqlExecutor,
  ticket: Ticket,
  options: EarlierSpectraOptions,
  direction: Direction,
): Promise<EarlierSpectrum[]> {
  const found: EarlierSpectrum[] = [];
  const before = '(opened_at < ? OR (opened_at = ? AND id < ?))';
  const sites = options.sites ? ` AND site IN (${placeholders(options.sites.length) || 'NULL'})` : '';
  const order = direction === 'newest' ? 'opened_at DESC, id DESC' : 'opened_at, id';
  const past = direction === 'newest' ? before : '(opened_at > ? OR (opened_at = ? AND id > ?))';
  let cursor: Row | undefined;
  for (;;) {
    const params: SqlValue[] = [
      ticket.assetId,
      ticket.firstSeen,
      ticket.firstSeen,
      ticket.id,
      ...(options.sites ?? []),
    ];
    if (cursor) params.push(cursor.opened_at, cursor.opened_at, cursor.id);
    const rows = await db.all<Row>(
      `SELECT id, opened_at, body FROM tickets WHERE asset_id = ? AND ${before}${sites}
         ${cursor ? `AND ${past}` : ''} ORDER BY ${order} LIMIT ${PAGE}`,
      params,
    );
    for (const row of rows) {
      const spectra = spectraOf(row, ticket.evidence.channel);
      if (spectra) found.push(spectra);
      if (found.length >= options.limit) return found;
    }
    if (rows.length < PAGE) return found;
    cursor = rows.at(-1);
  }
}

/**
 * Earlier spectra of the same asset and channel as `ticket` (limit, newest first), and the earliest
 * as a baseline when the newest `limit` do not reach back to it: what a change is measured against.
 */
export async function earlierSpectra(
  db: SqlExecutor,
  ticket: Ticket,
  options: EarlierSpectraOptions,
): Promise<EarlierSpectraReply> {
  const spectra = await scan(db, ticket, options, 'newest');
  if (spectra.length < options.limit) return { spectra };
  const [baseline] = await scan(db, ticket, { ...options, limit: 1 }, 'oldest');
  return baseline && !spectra.some((s) => s.ticketId === baseline.ticketId)
    ? { spectra, baseline }
    : { spectra };
}
