import { AccessStore } from '../access/access-store.js';
import { openCloudDatabase } from './cloud-database.js';
import { IngestStore } from './ingest-store.js';
import { ReviewStore } from './review-store.js';
import type { SqlDatabase } from './sql-database.js';

/** The cloud's persistence, one part per job, over one database (SQLite file or PostgreSQL). */
export interface CloudStore {
  database: SqlDatabase;
  ingest: IngestStore;
  review: ReviewStore;
  access: AccessStore;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export async function openCloudStore(db: string): Promise<CloudStore> {
  const database = await openCloudDatabase(db);
  return {
    database,
    ingest: new IngestStore(database),
    review: new ReviewStore(database),
    access: new AccessStore(database),
    ping: async () => {
      await database.get('SELECT 1 AS ok');
    },
    close: () => database.close(),
  };
}
