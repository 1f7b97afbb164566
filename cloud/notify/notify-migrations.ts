import type { Migration } from '../store/sql-database.js';

/** The notify module's tables. Ids are never reused; append, never edit. */
export const notifyMigrations: readonly Migration[] = [];
