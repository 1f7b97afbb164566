import { UserExistsError } from '../../cloud/access/access-store.js';
import type { RunningCloud } from '../../cloud/server.js';
import type { CloudStore } from '../../cloud/cloud-store.js';
import type { TicketView } from '../../shared/schema/index.js';

const adminTokens = new WeakMap<CloudStore, Promise<string>>();

/** An admin's API token for this cloud, created on first use: the review API needs a user. */
export function adminToken(cloud: RunningCloud): Promise<string> {
  let token = adminTokens.get(cloud.store);
  if (!token) {
    token = (async () => {
      // Several instances may share one database (scale-out tests): the user may exist already.
      await cloud.store.access
        .createUser({ username: 'test-admin', role: 'admin', sites: 'all' })
        .catch((error: unknown) => {
          if (!(error instanceof UserExistsError)) throw error;
        });
      return cloud.store.access.createApiToken('test-admin', 'tests');
    })();
    adminTokens.set(cloud.store, token);
  }
  return token;
}

/** GET on the review API as an admin. */
export async function cloudFetch(
  cloud: RunningCloud,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${await adminToken(cloud)}`);
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  return fetch(`${cloud.url}${path}`, { ...init, headers });
}

export const cloudJson = async <T>(cloud: RunningCloud, path: string): Promise<T> =>
  (await (await cloudFetch(cloud, path)).json()) as T;

export const cloudTickets = async (cloud: RunningCloud): Promise<TicketView[]> =>
  (await cloudJson<{ tickets: TicketView[] }>(cloud, '/api/v1/tickets')).tickets;
