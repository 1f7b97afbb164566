import { ResendBody } from '../../edge/outbox/dead-letter-routes.js';
import type { RouteSpec } from './http-fuzz.js';
import type { JsonSchema } from './schema-arbitraries.js';

/** The edge status port's routes (it serves no OpenAPI document; edge/status/status-server.ts). */
export const EDGE_STATUS_ROUTES: RouteSpec[] = [
  ...['/healthz', '/metrics', '/api/v1/status', '/api/v1/status/counters', '/api/v1/outbox/dead-letters'].map(
    (path) => ({
      method: 'GET',
      path,
      pathParams: [],
      queryParams: [],
    }),
  ),
  {
    method: 'POST',
    path: '/api/v1/outbox/resend',
    pathParams: [],
    queryParams: [],
    body: ResendBody as JsonSchema,
  },
  // A route that does not exist, with a hostile path segment: the 404 must keep the format too.
  {
    method: 'GET',
    path: '/api/v1/{anything}',
    pathParams: [{ name: 'anything', schema: { type: 'string' } }],
    queryParams: [],
  },
];
