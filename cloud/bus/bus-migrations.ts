import type { Migration } from '../store/sql-database.js';

/** The bus module's tables. Ids are never reused; append, never edit. */
export const busMigrations: readonly Migration[] = [];
