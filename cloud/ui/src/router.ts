/**
 * Hash routes: the server serves one page, and every screen has a URL an engineer can paste into a
 * shift report (`#/tickets/01J…`, `#/queue?site=plant7&overdue=true`).
 */

export type RouteName =
  | 'login'
  | 'plant'
  | 'queue'
  | 'ticket'
  | 'asset'
  | 'rules'
  | 'reports'
  | 'gateways'
  | 'onCall'
  | 'notifications'
  | 'audit'
  | 'notFound';

export interface Route {
  name: RouteName;
  /** Path parameters: `id` for a ticket, `assetId` for an asset. */
  params: Record<string, string>;
  query: URLSearchParams;
}

const PATTERNS: { name: RouteName; pattern: RegExp; keys: string[] }[] = [
  { name: 'login', pattern: /^\/login$/, keys: [] },
  { name: 'plant', pattern: /^\/plant$/, keys: [] },
  // The asset list is the plant overview (`#/assets` was the queue once: links to it still work).
  { name: 'plant', pattern: /^\/assets\/?$/, keys: [] },
  { name: 'queue', pattern: /^\/queue$/, keys: [] },
  { name: 'ticket', pattern: /^\/tickets\/([^/]+)$/, keys: ['id'] },
  { name: 'asset', pattern: /^\/assets\/([^/]+)$/, keys: ['assetId'] },
  { name: 'rules', pattern: /^\/rules$/, keys: [] },
  { name: 'reports', pattern: /^\/reports$/, keys: [] },
  { name: 'gateways', pattern: /^\/gateways$/, keys: [] },
  // The gateways' screen was called Fleet: its old links keep working.
  { name: 'gateways', pattern: /^\/fleet$/, keys: [] },
  { name: 'onCall', pattern: /^\/on-call$/, keys: [] },
  { name: 'notifications', pattern: /^\/notifications$/, keys: [] },
  { name: 'audit', pattern: /^\/audit$/, keys: [] },
];

/**
 * The route of a hash such as `#/tickets/01J…?x=1`; an empty hash is undefined (the start screen),
 * an unknown path the not-found screen (with the path in `params.path`).
 */
export function parseHash(hash: string): Route | undefined {
  const text = hash.replace(/^#/, '');
  if (text === '' || text === '/') return undefined;
  const mark = text.indexOf('?');
  const path = mark < 0 ? text : text.slice(0, mark);
  const search = mark < 0 ? '' : text.slice(mark + 1);
  for (const { name, pattern, keys } of PATTERNS) {
    const match = pattern.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    keys.forEach((key, i) => {
      params[key] = decodeURIComponent(match[i + 1] ?? '');
    });
    return { name, params, query: new URLSearchParams(search) };
  }
  return { name: 'notFound', params: { path }, query: new URLSearchParams(search) };
}

export const currentRoute = (): Route | undefined => parseHash(location.hash);

/** Links: path segments are encoded, so an id can never become a second path or a query. */
export const hrefs = {
  login: (next?: string) => (next ? `#/login?${new URLSearchParams({ next })}` : '#/login'),
  plant: (query?: URLSearchParams) => `#/plant${query && [...query].length ? `?${query}` : ''}`,
  queue: (query?: URLSearchParams) => `#/queue${query && [...query].length ? `?${query}` : ''}`,
  ticket: (id: string) => `#/tickets/${encodeURIComponent(id)}`,
  asset: (assetId: string) => `#/assets/${encodeURIComponent(assetId)}`,
  rules: (ruleId?: string, version?: string) =>
    `#/rules${ruleId ? `?${new URLSearchParams({ rule: ruleId, ...(version ? { version } : {}) })}` : ''}`,
  reports: (query?: URLSearchParams) => `#/reports${query && [...query].length ? `?${query}` : ''}`,
  gateways: () => '#/gateways',
  onCall: () => '#/on-call',
  audit: () => '#/audit',
  notifications: (user?: string) => `#/notifications${user ? `?${new URLSearchParams({ user })}` : ''}`,
};

export function navigate(hash: string): void {
  if (location.hash === hash) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = hash;
}

/** Rewrites the query of the current screen (its filters) without re-rendering it or adding history. */
export function replaceQuery(query: URLSearchParams): void {
  const [path = ''] = location.hash.split('?', 1);
  const text = query.toString();
  history.replaceState(history.state, '', `${path}${text ? `?${text}` : ''}`);
}

export function onRouteChange(listener: (route: Route | undefined) => void): void {
  window.addEventListener('hashchange', () => listener(currentRoute()));
}
