import type { Migration } from '../store/sql-database.js';

/** The import module's tables. Ids are never reused; append, never edit. */
export const importMigrations: readonly Migration[] = [];
