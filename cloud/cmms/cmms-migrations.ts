import type { Migration } from '../store/sql-database.js';

/** The cmms module's tables. Ids are never reused; append, never edit. */
export const cmmsMigrations: readonly Migration[] = [];
