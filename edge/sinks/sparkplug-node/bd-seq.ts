import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';

/**
 * The birth/death sequence number of the agent's next MQTT session as an edge node: the one
 * persisted (in `path`) plus one, 0–255 wrapping, written down before it is used. A host tells a
 * stale NDEATH (the will of an earlier session, delivered late) from the current one by it, so it
 * must not start over at a restart. A missing or unreadable file starts at 0; its reason is returned.
 */
export function nextBdSeq(path: string): { bdSeq: number; problem?: string } {
  let previous = -1;
  let problem: string | undefined;
  try {
    const stored = (JSON.parse(readFileSync(path, 'utf8')) as { bdSeq?: unknown }).bdSeq;
    if (typeof stored === 'number' && Number.isInteger(stored) && stored >= 0 && stored <= 255)
      previous = stored;
    else problem = `${path} holds no bdSeq 0-255: starting at 0`;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
      problem = `cannot read ${path} (${(error as Error).message}): starting at 0`;
  }
  const bdSeq = (previous + 1) % 256;
  writeDurably(path, JSON.stringify({ bdSeq }));
  return { bdSeq, ...(problem ? { problem } : {}) };
}

/** Written beside and renamed over: a crash leaves the old number or the new one, never half. */
function writeDurably(path: string, text: string): void {
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}
