import type { SqlExecutor } from '../store/sql-database.js';

/** One line of a ticket's audit trail: who, when, what. */
export async function audit(
  tx: SqlExecutor,
  ticketId: string,
  at: string,
  actor: string,
  action: string,
  detail: Record<string, unknown>,
): Promise<void> {
  await tx.run('INSERT INTO ticket_audit (ticket_id, at, actor, action, detail) VALUES (?, ?, ?, ?, ?)', [
    ticketId,
    at,
    actor,
    action,
    JSON.stringify(detail),
  ]);
}
