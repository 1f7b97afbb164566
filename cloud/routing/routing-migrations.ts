import type { Migration } from '../store/sql-database.js';

/** The routing module's tables. Ids are never reused; append, never edit. */
export const routingMigrations: readonly Migration[] = [];
