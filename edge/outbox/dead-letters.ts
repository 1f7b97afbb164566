import type { DeadLetter, Outbox } from './outbox.js';

/** Which set-aside events to put back in the queue: some seqs, or all of them. */
export type ResendRequest = { seqs: number[] } | { all: true };

/** A resend naming seqs that are not set aside: nothing is requeued, so a typo changes nothing. */
export class NotSetAsideError extends Error {
  constructor(notSetAside: number[], deadLetters: DeadLetter[]) {
    const list = deadLetters.map((d) => d.seq).join(', ') || 'none';
    super(
      `seq ${notSetAside.join(', ')} ${notSetAside.length === 1 ? 'is' : 'are'} not set aside ` +
        `(the set-aside events are: ${list}); nothing was requeued`,
    );
    this.name = 'NotSetAsideError';
  }
}

/**
 * Requeues set-aside events once their cause is fixed (the cloud accepts them now, or the stored
 * row was corrected); each gets a fresh count of attempts. Returns the seqs requeued.
 */
export function resendDeadLetters(outbox: Outbox, request: ResendRequest): number[] {
  if ('all' in request) return outbox.resend('all');
  const deadLetters = outbox.deadLetters();
  const known = new Set(deadLetters.map((d) => d.seq));
  const notSetAside = [...new Set(request.seqs)].filter((seq) => !known.has(seq));
  if (notSetAside.length > 0) throw new NotSetAsideError(notSetAside, deadLetters);
  return outbox.resend(request.seqs);
}

/** One line per set-aside event, for a terminal. */
export function formatDeadLetters(deadLetters: DeadLetter[], outboxPath: string): string {
  if (deadLetters.length === 0) return `no set-aside events in ${outboxPath}`;
  const lines = deadLetters.map(
    (d) =>
      `seq ${d.seq}  ${d.type || '?'}  ticket ${d.ticketId || '?'}  asset ${d.assetId || '?'}  ` +
      `set aside ${d.at} after ${d.attempts} attempts\n    ${d.reason}`,
  );
  return [
    `${deadLetters.length} set-aside event(s) in ${outboxPath}:`,
    ...lines,
    'requeue with `plantwatch outbox resend <seq...>|--all --config <agent config>` once the cause is fixed',
  ].join('\n');
}
