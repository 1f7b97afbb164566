import { join } from 'node:path';
import { inject } from 'vitest';
import { createPostgresDatabase } from '../../simulators/bench/postgres-server.js';
import { tempDir } from './stack.js';

/** The cloud's two stores: every store suite runs against both (`describe.each(CLOUD_STORES)`). */
export const CLOUD_STORES = ['sqlite', 'postgres'] as const;
export type CloudStoreKind = (typeof CLOUD_STORES)[number];

let databases = 0;

/** A new, empty cloud database of that kind: a SQLite file path or a PostgreSQL URL. */
export async function newCloudDatabase(kind: CloudStoreKind): Promise<string> {
  if (kind === 'sqlite') return join(tempDir(), 'cloud.db');
  const name = `pw_${process.pid}_${Date.now().toString(36)}_${++databases}`;
  return createPostgresDatabase(inject('postgresBaseUrl'), name);
}
