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
];
