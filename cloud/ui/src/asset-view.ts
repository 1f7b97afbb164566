import { api, errorMessage, isAbort, query } from './api.js';
import { severityBadge, statusBadge } from './badges.js';
import { alertBox, h, replaceChildren } from './dom.js';
import { faultLabel } from './faults.js';
import { formatNumber, formatTime, isoZoneName, relativeTime } from './format.js';
import { hrefs } from './router.js';
import { trendFigure } from './trend-chart.js';
import type { TicketPage, TicketView, TrendReply } from './types.js';
import type { View } from './view.js';

const WEEK = 7 * 86_400_000;
const PAGE_SIZE = 50;

const trend = (assetId: string, metric: string, signal: AbortSignal) =>
  api<TrendReply>(
    `/api/v1/assets/${encodeURIComponent(assetId)}/trend${query({
      metric,
      from: new Date(Date.now() - WEEK).toISOString(),
      to: new Date().toISOString(),
      maxPoints: 500,
    })}`,
    { signal },
  );

/** Health now: the last velocity and ISO 20816 zone the asset reported this week. */
function healthSummary(velocity: TrendReply, zone: TrendReply): HTMLElement {
  const now = Date.now();
  const lastVelocity = velocity.points.at(-1);
  const lastZone = zone.points.at(-1);
  const zoneName = lastZone ? isoZoneName(lastZone.value) : undefined;
  const card = (label: string, value: string, detail: string, className = '') =>
    h(
      'div',
      { class: `health-card ${className}`.trim() },
      h('span', { class: 'health-label' }, label),
      h('strong', {}, value),
      h('small', {}, detail),
    );
  if (!lastVelocity && !lastZone) {
    return h('p', { class: 'muted' }, 'No telemetry from this asset in the last 7 days.');
  }
  return h(
    'div',
    { class: 'health' },
    card(
      'Velocity RMS',
      lastVelocity ? `${formatNumber(lastVelocity.value)} mm/s` : '–',
      lastVelocity ? `bucket from ${relativeTime(lastVelocity.ts, now)}` : 'no data',
    ),
    card(
      'ISO 20816 zone',
      zoneName ?? '–',
      zoneName
        ? zoneName === 'A' || zoneName === 'B'
          ? 'acceptable for long-term operation'
          : zoneName === 'C'
            ? 'restricted operation: plan the repair'
            : 'damage likely: act now'
        : 'no data',
      zoneName ? `zone-${zoneName.toLowerCase()}` : '',
    ),
  );
}

function ticketTimeline(tickets: TicketView[]): HTMLElement {
  if (tickets.length === 0) return h('p', { class: 'muted' }, 'No tickets for this asset.');
  return h(
    'ol',
    { class: 'timeline' },
    ...tickets.map((t) =>
      h(
        'li',
        { 'data-id': t.id },
        h('time', { datetime: t.firstSeen }, formatTime(t.firstSeen)),
        h(
          'div',
          {},
          severityBadge(t.severity),
          ' ',
          h('a', { href: hrefs.ticket(t.id) }, t.title),
          ' ',
          statusBadge(t.status),
          h(
            'small',
            { class: 'muted' },
            ` ${faultLabel(t.fault)} · ${t.occurrences}× · last seen ${formatTime(t.lastSeen)}`,
          ),
        ),
      ),
    ),
  );
}

export const assetView: View = async (root, route, ctx) => {
  const assetId = route.params.assetId ?? '';
  ctx.setTitle(`Asset ${assetId}`);
  const error = alertBox('error');
  const health = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  const chart = h('div', { class: 'trend-slot' });
  const timeline = h('div', { 'aria-busy': 'true' });
  const loadMore = h('button', { type: 'button', class: 'load-more', hidden: true }, 'Load older tickets');
  replaceChildren(
    root,
    h(
      'section',
      { class: 'asset-view', 'aria-labelledby': 'asset-heading' },
      h(
        'nav',
        { class: 'crumbs', 'aria-label': 'Breadcrumb' },
        h('a', { href: hrefs.queue() }, 'Queue'),
        ' › ',
        h('span', { 'aria-current': 'page' }, assetId),
      ),
      h('h1', { id: 'asset-heading', tabindex: -1 }, `Asset ${assetId}`),
      error,
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'health-heading' },
        h('h2', { id: 'health-heading' }, 'Health'),
        health,
        chart,
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'asset-tickets-heading' },
        h('h2', { id: 'asset-tickets-heading' }, 'Tickets, newest first'),
        timeline,
        loadMore,
      ),
    ),
  );

  let tickets: TicketView[] = [];
  let cursor: string | undefined;
  const loadTickets = async () => {
    const page = await api<TicketPage>(
      `/api/v1/tickets${query({ asset: assetId, sort: 'newest', limit: PAGE_SIZE, cursor })}`,
      { signal: ctx.signal },
    );
    tickets = [...tickets, ...page.tickets];
    cursor = page.nextCursor;
    timeline.removeAttribute('aria-busy');
    replaceChildren(timeline, ticketTimeline(tickets));
    loadMore.hidden = !cursor;
  };
  loadMore.addEventListener('click', () => {
    loadTickets().catch((failure: unknown) => {
      if (!isAbort(failure)) error.show(`Could not load tickets: ${errorMessage(failure)}`);
    });
  });

  const [velocity, zone, listed] = await Promise.allSettled([
    trend(assetId, 'velocityRmsMmS', ctx.signal),
    trend(assetId, 'isoZoneIndex', ctx.signal),
    loadTickets(),
  ]);
  if (ctx.signal.aborted) return;
  const problems = [velocity, zone, listed]
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => errorMessage(r.reason));
  if (problems.length)
    error.show(`Some of this asset could not be loaded: ${[...new Set(problems)].join('; ')}`);
  health.removeAttribute('aria-busy');
  if (velocity.status === 'fulfilled' && zone.status === 'fulfilled') {
    replaceChildren(health, healthSummary(velocity.value, zone.value));
  } else replaceChildren(health);
  if (velocity.status === 'fulfilled') {
    replaceChildren(
      chart,
      trendFigure(velocity.value, {
        caption: `Velocity RMS (10–1000 Hz) on ${assetId}, last 7 days, all channels`,
        unit: 'mm/s',
        signal: ctx.signal,
      }),
    );
  }
};
