import type { RunningCloud } from '../../cloud/server.js';
import { sampleTicket } from '../bench/sample-tickets.js';
import type { HttpTarget, RouteSpec } from './http-fuzz.js';
import { routesOf } from './http-fuzz.js';
import type { KnownValues } from './schema-arbitraries.js';

export const FUZZ_GATEWAY = 'gw-fuzz';

/**
 * A cloud made ready to be attacked: one user per role with an API token, a gateway token, a
 * ticket of that gateway; the routes come from its own OpenAPI document (/docs/json).
 */
export async function prepareCloudTarget(
  cloud: RunningCloud,
): Promise<{ target: HttpTarget; routes: RouteSpec[]; known: KnownValues }> {
  const tokens: Record<string, string | undefined> = { anonymous: undefined };
  for (const role of ['admin', 'engineer', 'viewer'] as const) {
    const username = `fuzz-${role}`;
    await cloud.store.access.createUser({ username, role, sites: 'all' });
    tokens[role] = await cloud.store.access.createApiToken(username, 'fuzz');
  }
  tokens.gateway = await cloud.store.access.createGatewayToken(FUZZ_GATEWAY, { sites: ['site-fuzz'] });
  const ticket = sampleTicket({ gatewayId: FUZZ_GATEWAY, site: 'site-fuzz' });
  await cloud.store.ingest.applyEvents(FUZZ_GATEWAY, [
    { gatewayId: FUZZ_GATEWAY, seq: 1, type: 'ticket.opened', at: ticket.firstSeen, ticket },
  ]);
  const doc = (await (await fetch(`${cloud.url}/docs/json`)).json()) as Parameters<typeof routesOf>[0];
  return {
    target: { baseUrl: cloud.url, tokens },
    routes: routesOf(doc),
    known: {
      id: [ticket.id],
      ticketId: [ticket.id],
      duplicateOf: [ticket.id],
      gatewayId: [FUZZ_GATEWAY],
      username: ['fuzz-admin', 'fuzz-engineer', 'fuzz-viewer'],
      assignee: ['fuzz-engineer'],
      site: ['site-fuzz'],
      assetId: ['pump-1'],
      kind: ['assets', 'work-orders'],
    },
  };
}
