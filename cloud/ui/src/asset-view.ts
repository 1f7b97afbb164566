import { api, ApiError, errorMessage, isAbort, query } from './api.js';
import { severityBadge, statusBadge } from './badges.js';
import { alertBox, h, replaceChildren } from './dom.js';
import { faultLabel } from './faults.js';
import { formatNumber, formatTime, relativeTime } from './format.js';
import { healthChip, openTicketsText } from './health-chip.js';
import { hrefs } from './router.js';
import { ZONE_ADVICE } from './zone-advice.js';
import { trendFigure } from './trend-chart.js';
import type { AssetHealthReply, TicketPage, TicketView, TrendReply } from './types.js';
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

/** Health now: the state and why, and each key value as last measured (not a bucket's mean). */
function healthSummary({ asset }: AssetHealthReply): HTMLElement {
  const now = Date.now();
  const card = (label: string, value: Node | string, detail: string, className = '') =>
    h(
      'div',
      { class: `health-card ${className}`.trim() },
      h('span', { class: 'health-label' }, label),
      h('strong', {}, value),
      h('small', {}, detail),
    );
  const zone = asset.isoZone?.zone;
  const zoneMeaning = zone ? ZONE_ADVICE[zone] : '';
  const measured = (at: string, channel?: string) =>
    `${channel ? `${channel}, ` : ''}${formatTime(at)} (${relativeTime(at, now)})`;
  return h(
    'div',
    { class: 'health' },
    card('State', healthChip(asset.state), asset.reasons.join('; '), `health-now health-${asset.state}`),
    asset.velocity
      ? card(
          'Velocity RMS, latest',
          `${formatNumber(asset.velocity.valueMmS)} mm/s`,
          measured(asset.velocity.at, asset.velocity.channel),
          'health-velocity',
        )
      : null,
    asset.isoZone
      ? card(
          'ISO 20816 zone, latest',
          asset.isoZone.zone,
          `${zoneMeaning} · ${measured(asset.isoZone.at, asset.isoZone.channel)}`,
          `zone-${asset.isoZone.zone.toLowerCase()}`,
        )
      : null,
    ...asset.readings.map((r) => card(r.channel, formatNumber(r.value, 4), measured(r.at), 'health-reading')),
    card(
      'Open tickets',
      String(asset.openTickets),
      asset.openTickets ? openTicketsText(asset) : 'none open',
      'health-tickets',
    ),
  );
}

/** The page for an id nobody knows: says so and leads back, instead of empty panels. */
function unknownAsset(assetId: string): HTMLElement {
  return h(
    'section',
    { class: 'asset-view asset-unknown', 'aria-labelledby': 'asset-heading' },
    h('h1', { id: 'asset-heading', tabindex: -1 }, `No asset named ${assetId}`),
    h(
      'p',
      {},
      'Neither the asset registry, the tickets nor the telemetry of the sites you may see know it. ',
      'Check the id, or find the machine on the ',
      h('a', { href: hrefs.plant() }, 'plant overview'),
      '.',
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

/** Plant › site › area › asset: where the machine sits, each level a way back up. */
function breadcrumb(assetId: string, health?: AssetHealthReply): HTMLElement {
  const asset = health?.asset;
  return h(
    'nav',
    { class: 'crumbs', 'aria-label': 'Breadcrumb' },
    h('a', { href: hrefs.plant() }, 'Plant'),
    ...(asset
      ? [
          ' › ',
          h('a', { href: hrefs.plant(new URLSearchParams({ site: asset.site })) }, asset.site),
          ' › ',
          h('span', {}, asset.area),
        ]
      : []),
    ' › ',
    h('span', { 'aria-current': 'page' }, asset?.name ?? assetId),
  );
}

export const assetView: View = async (root, route, ctx) => {
  const assetId = route.params.assetId ?? '';
  ctx.setTitle(`Asset ${assetId}`);
  const error = alertBox('error');
  const crumbs = h('div', {}, breadcrumb(assetId));
  const heading = h('h1', { id: 'asset-heading', tabindex: -1 }, `Asset ${assetId}`);
  const health = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  const chart = h('div', { class: 'trend-slot' });
  const timeline = h('div', { 'aria-busy': 'true' });
  const loadMore = h('button', { type: 'button', class: 'load-more', hidden: true }, 'Load older tickets');
  replaceChildren(
    root,
    h(
      'section',
      { class: 'asset-view', 'aria-labelledby': 'asset-heading' },
      crumbs,
      heading,
      error,
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'health-heading' },
        h('h2', { id: 'health-heading' }, 'Health now'),
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

  const [now, velocity, listed] = await Promise.allSettled([
    api<AssetHealthReply>(`/api/v1/assets/${encodeURIComponent(assetId)}/health`, { signal: ctx.signal }),
    trend(assetId, 'velocityRmsMmS', ctx.signal),
    loadTickets(),
  ]);
  if (ctx.signal.aborted) return;
  if (now.status === 'rejected' && now.reason instanceof ApiError && now.reason.code === 'PW_NO_ASSET') {
    ctx.setTitle(`No asset named ${assetId}`);
    replaceChildren(root, h('div', {}, breadcrumb(assetId), unknownAsset(assetId)));
    return;
  }
  const problems = [now, velocity, listed]
    .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    .map((r) => errorMessage(r.reason));
  if (problems.length)
    error.show(`Some of this asset could not be loaded: ${[...new Set(problems)].join('; ')}`);
  health.removeAttribute('aria-busy');
  if (now.status === 'fulfilled') {
    const { asset } = now.value;
    if (asset.name) {
      heading.textContent = `${asset.name} (${asset.assetId})`;
      ctx.setTitle(`${asset.name} (${asset.assetId})`);
    }
    replaceChildren(crumbs, breadcrumb(assetId, now.value));
    replaceChildren(health, healthSummary(now.value));
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
