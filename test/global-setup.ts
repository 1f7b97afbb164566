import type { TestProject } from 'vitest/node';
import { startPostgresServer } from '../simulators/bench/postgres-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's PostgreSQL server; each test file creates its own database on it. */
    postgresBaseUrl: string;
  }
}

/**
 * One real PostgreSQL cluster for the whole run (about a second to start), so the cloud store's
 * suites run against PostgreSQL as well as SQLite. A machine without PostgreSQL fails here, loudly.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const postgres = await startPostgresServer();
  project.provide('postgresBaseUrl', postgres.baseUrl);
  return () => postgres.stop();
}
