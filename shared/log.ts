import { type Logger, pino } from 'pino';

/** Paths that may hold secrets; pino replaces them before anything is written. */
export const REDACTED_PATHS = [
  'token',
  '*.token',
  'cloud.token',
  'authorization',
  'req.headers.authorization',
  'headers.authorization',
  'password',
  '*.password',
];

export function createLogger(name: string, level = process.env.PLANTWATCH_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } });
}

export type { Logger };
