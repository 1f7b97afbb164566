import {
  api,
  clearSession,
  errorMessage,
  isAbort,
  loadSession,
  saveSession,
  setUnauthorizedHandler,
} from './api.js';
import { assetView } from './asset-view.js';
import { auditView } from './audit-view.js';
import { h, replaceChildren } from './dom.js';
import { gatewaysView } from './gateways-view.js';
import { loginView } from './login-view.js';
import { notFoundView } from './not-found-view.js';
import { notificationsView } from './notifications-view.js';
import { onCallView } from './on-call-view.js';
import { plantView } from './plant-view.js';
import { queueView } from './queue-view.js';
import { reportsView } from './reports-view.js';
import { currentRoute, hrefs, navigate, onRouteChange, type Route, type RouteName } from './router.js';
import { rulesView } from './rules-view.js';
import { ticketView } from './ticket-view.js';
import type { UserView } from './types.js';
import type { View } from './view.js';

const VIEWS: Record<RouteName, View> = {
  login: loginView,
  plant: plantView,
  queue: queueView,
  ticket: ticketView,
  asset: assetView,
  rules: rulesView,
  reports: reportsView,
  gateways: gatewaysView,
  onCall: onCallView,
  notifications: notificationsView,
  audit: auditView,
  notFound: notFoundView,
};

/** Which navigation entry is current on each screen (a ticket belongs to the queue). */
const NAV_SECTION: Partial<Record<RouteName, string>> = {
  queue: 'queue',
  ticket: 'queue',
  plant: 'plant',
  asset: 'plant',
  rules: 'rules',
  reports: 'reports',
  gateways: 'gateways',
  onCall: 'on-call',
  notifications: 'notifications',
  audit: 'audit',
  notFound: '',
};

const byId = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`index.html lacks #${id}`);
  return element as T;
};

const main = byId<HTMLElement>('main');
const announcer = byId<HTMLElement>('announcer');
const sessionBox = byId<HTMLElement>('session');
const sessionUser = byId<HTMLElement>('session-user');
const nav = byId<HTMLElement>('main-nav');

// The integration screens' links: On-call is for engineers and admins (the API refuses viewers).
const onCallLink = h('a', { href: hrefs.onCall(), 'data-section': 'on-call', hidden: true }, 'On-call');
// The audit log is for admins only (the API refuses everyone else).
const auditLink = h('a', { href: hrefs.audit(), 'data-section': 'audit', hidden: true }, 'Audit log');
nav.append(
  onCallLink,
  h('a', { href: hrefs.notifications(), 'data-section': 'notifications' }, 'Notifications'),
  auditLink,
);

let screen: AbortController | undefined;
let firstRender = true;

function announce(message: string): void {
  // Emptied first, so the same words said twice are still announced.
  announcer.textContent = '';
  window.setTimeout(() => (announcer.textContent = message), 50);
}

function showSession(user: UserView | undefined): void {
  sessionBox.hidden = !user;
  nav.hidden = !user;
  sessionUser.textContent = user ? `${user.username} · ${user.role}` : '';
  onCallLink.hidden = !user || user.role === 'viewer';
  auditLink.hidden = user?.role !== 'admin';
}

function markNav(route: Route): void {
  const section = NAV_SECTION[route.name];
  for (const link of nav.querySelectorAll<HTMLAnchorElement>('a[data-section]')) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

async function render(route: Route | undefined): Promise<void> {
  const session = loadSession();
  if (!route) return navigate(session ? hrefs.queue() : hrefs.login());
  if (!session && route.name !== 'login') return navigate(hrefs.login(location.hash));
  if (session && route.name === 'login') return navigate(hrefs.queue());

  screen?.abort();
  const controller = new AbortController();
  screen = controller;
  showSession(session?.user);
  markNav(route);
  const ctx = {
    user: session?.user,
    signal: controller.signal,
    announce,
    setTitle: (title: string) => {
      document.title = `Plantwatch · ${title}`;
    },
  };
  try {
    await VIEWS[route.name](main, route, ctx);
  } catch (failure) {
    if (isAbort(failure) || controller.signal.aborted) return;
    replaceChildren(
      main,
      h('h1', { tabindex: -1 }, 'Something went wrong'),
      h('p', { class: 'error', role: 'alert' }, errorMessage(failure)),
    );
  }
  // After a navigation, focus goes to the new screen's heading, so a screen reader starts there.
  if (!firstRender && !controller.signal.aborted && route.name !== 'login') {
    main.querySelector<HTMLElement>('h1')?.focus({ preventScroll: true });
  }
  firstRender = false;
}

setUnauthorizedHandler(() => {
  showSession(undefined);
  const route = currentRoute();
  if (route?.name !== 'login') navigate(hrefs.login(location.hash));
});

byId<HTMLButtonElement>('logout').addEventListener('click', async () => {
  try {
    await api('/api/v1/logout', { method: 'POST' });
  } catch {
    // Logged out here whatever the server says: the token is forgotten either way.
  }
  clearSession();
  showSession(undefined);
  navigate(hrefs.login());
});

// The skip link targets the main landmark without touching the hash, which belongs to the router.
byId<HTMLAnchorElement>('skip-link').addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

onRouteChange((route) => void render(route));

// The role may have changed since the session began: ask the server who we are.
const session = loadSession();
if (session) {
  api<UserView>('/api/v1/me')
    .then((user) => {
      if (JSON.stringify(user) === JSON.stringify(session.user)) return;
      saveSession({ ...session, user });
      void render(currentRoute());
    })
    .catch(() => undefined);
}
void render(currentRoute());
