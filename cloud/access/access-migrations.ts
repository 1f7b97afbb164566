import type { Migration } from '../store/sql-database.js';

/** Users, sessions and API tokens (gateway_tokens is in the core migrations). */
export const accessMigrations: readonly Migration[] = [];
