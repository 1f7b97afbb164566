import type {
  FastifyRateLimitStore,
  FastifyRateLimitStoreCtor,
  RateLimitPluginOptions,
} from '@fastify/rate-limit';
import type { SqlDatabase } from './sql-database.js';

/** Windows older than this are deleted now and then: no limit here spans more than a day. */
const STALE_AFTER_MS = 24 * 60 * 60 * 1000;
/** One sweep of stale windows per this many counted requests of an instance. */
const SWEEP_EVERY = 1000;

/**
 * A store for @fastify/rate-limit that keeps its counters in the cloud database (table
 * rate_limit_windows, migration access-3), so several instances behind a load balancer share one
 * limit instead of each allowing the whole of it. Fixed windows: each key counts from the start of
 * the window `now` falls in (windows aligned to multiples of their length), one upsert a request.
 * Meant for PostgreSQL; a single SQLite instance keeps the plugin's in-memory counters.
 */
export function sharedRateLimitStore(db: SqlDatabase): FastifyRateLimitStoreCtor {
  let counted = 0;
  const sweep = () => {
    db.run('DELETE FROM rate_limit_windows WHERE window_start < ?', [Date.now() - STALE_AFTER_MS]).catch(
      () => undefined, // a failed sweep is retried by the next one
    );
  };

  class SharedRateLimitStore implements FastifyRateLimitStore {
    constructor(private readonly prefix = '') {}

    incr(
      key: string,
      callback: (error: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      const now = Date.now();
      const windowStart = now - (now % timeWindow);
      db.get<{ hits: number | string }>(
        `INSERT INTO rate_limit_windows (key, window_start, hits) VALUES (?, ?, 1)
           ON CONFLICT (key) DO UPDATE SET
             hits = CASE WHEN rate_limit_windows.window_start = excluded.window_start
                         THEN rate_limit_windows.hits + 1 ELSE 1 END,
             window_start = excluded.window_start
           RETURNING hits`,
        [`${this.prefix}${key}`, windowStart],
      ).then(
        (row) => {
          if (++counted % SWEEP_EVERY === 0) sweep();
          callback(null, { current: Number(row?.hits ?? 1), ttl: windowStart + timeWindow - now });
        },
        (error: Error) => callback(error),
      );
    }

    /** One counter namespace per route, as the plugin's Redis store does. */
    child(routeOptions: Parameters<FastifyRateLimitStore['child']>[0]): FastifyRateLimitStore {
      // The plugin passes the route as routeInfo (its types say the options themselves).
      const route = (routeOptions as { routeInfo?: { method?: string | string[]; url?: string } }).routeInfo;
      return new SharedRateLimitStore(`${this.prefix}${String(route?.method ?? '')}${route?.url ?? ''}-`);
    }
  }
  return SharedRateLimitStore as unknown as FastifyRateLimitStoreCtor;
}

/**
 * The plugin options of the cloud's rate limits: route by route (`global: false`), counted in the
 * database on PostgreSQL (several instances share it), in memory on SQLite (one instance).
 */
export function cloudRateLimitOptions(db: SqlDatabase): RateLimitPluginOptions {
  return { global: false, ...(db.dialect === 'postgres' ? { store: sharedRateLimitStore(db) } : {}) };
}
