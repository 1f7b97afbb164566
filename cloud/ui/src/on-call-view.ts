import { api, ApiError, errorMessage, isAbort, query } from './api.js';
import { alertBox, h, replaceChildren } from './dom.js';
import { formatTime } from './format.js';
import type {
  EffectiveRouting,
  OnCallReply,
  RoutingRule,
  RoutingShift,
  RoutingSite,
  Weekday,
} from './types.js';
import type { View } from './view.js';

const WEEKDAYS: Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const DAY_NAMES: Record<Weekday, string> = {
  mon: 'Mon',
  tue: 'Tue',
  wed: 'Wed',
  thu: 'Thu',
  fri: 'Fri',
  sat: 'Sat',
  sun: 'Sun',
};
const REFRESH_MS = 60_000;

const minutesOf = (hhmm: string): number => {
  const [hours = '0', minutes = '0'] = hhmm.split(':');
  return Number(hours) * 60 + Number(minutes);
};

/** The site's weekday and minutes from the server's `localTime` (`Tue 09:00`). */
function parseLocalTime(text: string): { weekday: Weekday; minutes: number } | undefined {
  const match = /^([A-Za-z]{3}) (\d{2}:\d{2})$/.exec(text);
  const weekday = match?.[1]?.toLowerCase() as Weekday | undefined;
  if (!match || !weekday || !WEEKDAYS.includes(weekday)) return undefined;
  return { weekday, minutes: minutesOf(match[2] ?? '00:00') };
}

/** The day the shift running at this local time started on (the server's rule, cloud/routing/on-call.ts). */
function shiftStartDay(
  shift: RoutingShift,
  local: { weekday: Weekday; minutes: number },
): Weekday | undefined {
  const from = minutesOf(shift.from);
  const to = minutesOf(shift.to);
  const { weekday, minutes } = local;
  if (from < to) return shift.days.includes(weekday) && minutes >= from && minutes < to ? weekday : undefined;
  if (shift.days.includes(weekday) && minutes >= from) return weekday;
  const yesterday = WEEKDAYS[(WEEKDAYS.indexOf(weekday) + 6) % 7] as Weekday;
  if (shift.days.includes(yesterday) && minutes < to) return yesterday;
  return undefined;
}

const windowOf = (shift: RoutingShift) => `${shift.from}–${shift.to}`;

/** Days × shift windows, the engineers of every shift in each cell, the running one marked. */
function weekGrid(site: string, schedule: RoutingSite, now: OnCallReply | undefined): HTMLElement {
  const shifts = schedule.onCall ?? [];
  if (!shifts.length) return h('p', { class: 'empty' }, 'No on-call schedule for this site.');
  const windows = [...new Map(shifts.map((s) => [windowOf(s), s])).values()]
    .sort((a, b) => minutesOf(a.from) - minutesOf(b.from))
    .map(windowOf);
  const local = now ? parseLocalTime(now.localTime) : undefined;
  const current = new Set<string>();
  for (const shift of shifts) {
    const day = local ? shiftStartDay(shift, local) : undefined;
    if (day) current.add(`${day} ${windowOf(shift)}`);
  }
  const cell = (day: Weekday, window: string) => {
    const engineers = [
      ...new Set(
        shifts.filter((s) => windowOf(s) === window && s.days.includes(day)).flatMap((s) => s.engineers),
      ),
    ];
    const isNow = current.has(`${day} ${window}`);
    return h(
      'td',
      {
        class:
          [isNow ? 'current-shift' : '', engineers.length ? '' : 'no-shift'].filter(Boolean).join(' ') ||
          undefined,
        'data-day': day,
        'data-shift': window,
        'aria-current': isNow ? 'time' : undefined,
      },
      engineers.length ? h('ul', { class: 'shift-engineers' }, ...engineers.map((e) => h('li', {}, e))) : '–',
      isNow ? h('span', { class: 'now-tag' }, 'now') : null,
    );
  };
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'week-grid', 'data-site': site },
      h('caption', {}, `Week at ${site} (${schedule.timezone}); a shift is listed on the day it starts`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', { scope: 'col' }, 'Shift'),
          ...WEEKDAYS.map((d) => h('th', { scope: 'col', 'data-day': d }, DAY_NAMES[d])),
        ),
      ),
      h(
        'tbody',
        {},
        ...windows.map((window) =>
          h('tr', {}, h('th', { scope: 'row' }, window), ...WEEKDAYS.map((day) => cell(day, window))),
        ),
      ),
    ),
  );
}

function siteCard(site: string, schedule: RoutingSite, now: OnCallReply | undefined, problem?: string) {
  const onCall = now?.onCall ?? [];
  return h(
    'section',
    { class: 'panel on-call-site', 'data-site': site, 'aria-labelledby': `site-${site}` },
    h('h2', { id: `site-${site}` }, site),
    problem ? h('p', { class: 'error', role: 'alert' }, problem) : null,
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Local time'),
      h('dd', { class: 'local-time' }, now ? `${now.localTime} ${now.timezone}` : schedule.timezone),
      h('dt', {}, 'On call now'),
      h(
        'dd',
        { class: 'on-call-now' },
        onCall.length
          ? h(
              'ul',
              { class: 'on-call-list' },
              ...onCall.map((o) =>
                h(
                  'li',
                  { 'data-engineer': o.engineer },
                  h('strong', {}, o.engineer),
                  ' ',
                  h('span', { class: 'muted shift-label' }, o.shift),
                ),
              ),
            )
          : now
            ? 'nobody on shift: new tickets go to the lead'
            : '–',
      ),
      h('dt', {}, 'Lead'),
      h('dd', { class: 'site-lead' }, now?.lead ?? schedule.lead ?? 'none'),
    ),
    weekGrid(site, schedule, now),
  );
}

const joined = (values: string[] | undefined) => (values?.length ? values.join(', ') : 'any');

function rulesTable(rules: RoutingRule[]): HTMLElement {
  if (!rules.length) {
    return h('p', { class: 'empty' }, 'No rules: every new ticket goes to whoever is on call at its site.');
  }
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'routing-rules' },
      h('caption', {}, 'Routing rules, first match wins'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['#', 'Name', 'Site', 'Asset group', 'Faults', 'Min severity', 'Skill'].map((label) =>
            h('th', { scope: 'col' }, label),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...rules.map((rule, i) =>
          h(
            'tr',
            {},
            h('td', { class: 'num' }, String(i + 1)),
            h(
              'th',
              { scope: 'row' },
              rule.name,
              rule.raised ? ' ' : null,
              rule.raised ? h('span', { class: 'tag' }, 'severity raises only') : null,
            ),
            h('td', {}, rule.site ?? 'any'),
            h('td', {}, rule.assetGroup ?? 'any'),
            h('td', {}, joined(rule.faults)),
            h('td', {}, rule.minSeverity ?? 'any'),
            h('td', {}, rule.skill ?? 'any'),
          ),
        ),
      ),
    ),
  );
}

function notConfigured(): HTMLElement {
  return h(
    'div',
    { class: 'panel not-configured' },
    h('p', {}, 'No routing is configured: new tickets are not assigned to anyone and nobody is on call.'),
    h(
      'p',
      {},
      'Configure it in the cloud config file under ',
      h('code', {}, 'routing'),
      ' and start the cloud with ',
      h('code', {}, 'plantwatch cloud --config cloud.yaml'),
      ' (see cloud/sample-cloud.yaml), or, as an admin, ',
      h('code', {}, 'PUT /api/v1/routing'),
      ' with the same section as JSON.',
    ),
  );
}

/**
 * Who is on call at each site now, the week's schedule as a grid, and the routing rules. Reads
 * `GET /api/v1/routing` and, per site, `GET /api/v1/routing/on-call` (the server's clock decides now).
 */
export const onCallView: View = async (root, _route, ctx) => {
  ctx.setTitle('On-call');
  const error = alertBox('error');
  const body = h('div', { 'aria-busy': 'true' });
  const source = h('p', { class: 'count' });
  replaceChildren(
    root,
    h(
      'section',
      { class: 'on-call-view', 'aria-labelledby': 'on-call-heading' },
      h('h1', { id: 'on-call-heading', tabindex: -1 }, 'On-call'),
      error,
      source,
      body,
    ),
  );
  if (ctx.user?.role === 'viewer') {
    body.removeAttribute('aria-busy');
    replaceChildren(body, h('p', {}, 'The on-call schedule is for engineers and admins.'));
    return;
  }

  const refresh = async () => {
    try {
      const routing = await api<EffectiveRouting>('/api/v1/routing', { signal: ctx.signal });
      const sites = Object.entries(routing.config.sites ?? {});
      const rules = routing.config.rules ?? [];
      source.textContent =
        routing.source === 'none'
          ? ''
          : `Routing from ${routing.source === 'api' ? 'the API' : 'the config file'}` +
            (routing.updatedAt
              ? `, set ${formatTime(routing.updatedAt)}${routing.updatedBy ? ` by ${routing.updatedBy}` : ''}`
              : '');
      if (routing.source === 'none' || (!sites.length && !rules.length)) {
        replaceChildren(body, notConfigured());
        body.removeAttribute('aria-busy');
        error.show('');
        return;
      }
      const cards = await Promise.all(
        sites.map(async ([site, schedule]) => {
          try {
            const now = await api<OnCallReply>(`/api/v1/routing/on-call${query({ site })}`, {
              signal: ctx.signal,
            });
            return siteCard(site, schedule, now);
          } catch (failure) {
            if (isAbort(failure)) throw failure;
            const message = failure instanceof ApiError ? failure.message : errorMessage(failure);
            return siteCard(site, schedule, undefined, `Who is on call could not be read: ${message}`);
          }
        }),
      );
      replaceChildren(
        body,
        sites.length ? null : h('p', { class: 'empty' }, 'No site has an on-call schedule (routing.sites).'),
        ...cards,
        h(
          'section',
          { class: 'panel', 'aria-labelledby': 'rules-heading' },
          h('h2', { id: 'rules-heading' }, 'Rules'),
          rulesTable(rules),
        ),
      );
      body.removeAttribute('aria-busy');
      error.show('');
    } catch (failure) {
      if (!isAbort(failure)) error.show(`Could not load the routing: ${errorMessage(failure)}`);
    }
  };
  const timer = setInterval(() => {
    if (!document.hidden) void refresh();
  }, REFRESH_MS);
  ctx.signal.addEventListener('abort', () => clearInterval(timer));
  await refresh();
};
