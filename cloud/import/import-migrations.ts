import type { Migration } from '../store/sql-database.js';

/**
 * The import module's tables. import-1 is the asset registry (what routing's asset groups and the
 * console's asset pages read); later ids are the importer's own. Ids are never reused; append.
 */
export const importMigrations: readonly Migration[] = [
  {
    id: 'import-1-assets',
    sqlite: `
      CREATE TABLE assets (
        asset_id TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        name TEXT,
        asset_group TEXT,
        machine_class TEXT,
        rpm REAL,
        bearing TEXT,
        channels TEXT NOT NULL DEFAULT '[]',
        updated_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX assets_by_site ON assets (site, asset_id);
      CREATE INDEX assets_by_group ON assets (asset_group, asset_id);`,
    postgres: `
      CREATE TABLE assets (
        asset_id TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        name TEXT,
        asset_group TEXT,
        machine_class TEXT,
        rpm DOUBLE PRECISION,
        bearing TEXT,
        channels TEXT NOT NULL DEFAULT '[]',
        updated_at TEXT NOT NULL
      );
      CREATE INDEX assets_by_site ON assets (site, asset_id);
      CREATE INDEX assets_by_group ON assets (asset_group, asset_id);`,
  },
  {
    // One row per imported file (kind + sha256 of its bytes): how many of its batches committed,
    // so a run that stopped part-way resumes after the last committed batch. The time zone is part
    // of the key: read in another zone, the same bytes are other dates, hence other ticket ids.
    id: 'import-2-jobs',
    sqlite: `
      CREATE TABLE import_jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        time_zone TEXT NOT NULL,
        source TEXT NOT NULL,
        rows INTEGER NOT NULL,
        batch_size INTEGER NOT NULL,
        batches INTEGER NOT NULL,
        batches_done INTEGER NOT NULL DEFAULT 0,
        actor TEXT NOT NULL,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT,
        UNIQUE (kind, sha256, time_zone)
      ) STRICT;`,
    postgres: `
      CREATE TABLE import_jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        time_zone TEXT NOT NULL,
        source TEXT NOT NULL,
        rows INTEGER NOT NULL,
        batch_size INTEGER NOT NULL,
        batches INTEGER NOT NULL,
        batches_done INTEGER NOT NULL DEFAULT 0,
        actor TEXT NOT NULL,
        started_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        finished_at TEXT,
        UNIQUE (kind, sha256, time_zone)
      );`,
  },
];
