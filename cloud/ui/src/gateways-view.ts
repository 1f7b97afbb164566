import { api, errorMessage, isAbort } from './api.js';
import { alertBox, h, replaceChildren } from './dom.js';
import { formatDuration, formatTime, relativeTime } from './format.js';
import type { GatewayView } from './types.js';
import type { View } from './view.js';

const REFRESH_MS = 15_000;
/** A gateway sends at least every few seconds while it has work; quiet this long is worth a look. */
const STALE_MS = 10 * 60_000;

function gatewayRow(g: GatewayView, now: number): HTMLTableRowElement {
  const stale = !g.lastSeen || now - Date.parse(g.lastSeen) > STALE_MS;
  const classes = [g.gap || g.setAside ? 'has-gap' : '', stale ? 'stale' : ''].filter(Boolean).join(' ');
  return h(
    'tr',
    { 'data-gateway': g.gatewayId, class: classes || undefined },
    h('th', { scope: 'row' }, g.gatewayId),
    h(
      'td',
      {},
      g.lastSeen
        ? h('time', { datetime: g.lastSeen, title: formatTime(g.lastSeen) }, relativeTime(g.lastSeen, now))
        : 'never',
      stale ? h('span', { class: 'badge stale-badge' }, 'quiet') : null,
    ),
    h('td', { class: 'num' }, String(g.ackedSeq)),
    h('td', { class: 'num' }, String(g.eventsReceived)),
    h('td', { class: 'num' }, String(g.duplicatesIgnored)),
    h('td', { class: 'num' }, g.backlog ? String(g.backlog.pending) : '–'),
    h(
      'td',
      { class: 'num' },
      g.backlog?.oldestPendingAgeMs !== undefined ? formatDuration(g.backlog.oldestPendingAgeMs) : '–',
    ),
    h('td', {}, ...gapCell(g)),
  );
}

/**
 * A gap the gateway explained (it set the missing seq aside) reads as what happened, with the
 * cloud's reason; a bare gap means events lost or still on their way.
 */
function gapCell(g: GatewayView): (HTMLElement | string)[] {
  const setAside = g.setAside ?? [];
  const explained = g.gap !== undefined && setAside.some((e) => e.seq === g.gap?.firstMissingSeq);
  const parts: (HTMLElement | string)[] = [];
  if (g.gap && !explained) {
    parts.push(
      h(
        'span',
        { class: 'badge gap-badge' },
        `gap at seq ${g.gap.firstMissingSeq}, ${g.gap.heldEvents} held`,
      ),
    );
  }
  if (setAside.length > 0) {
    parts.push(
      h(
        'ul',
        { class: 'set-aside' },
        ...setAside.map((e) =>
          h(
            'li',
            { 'data-seq': String(e.seq), title: `${e.type} of ticket ${e.ticketId}, ${e.attempts} attempts` },
            h('span', { class: 'badge gap-badge' }, `seq ${e.seq} set aside at the edge`),
            `: ${e.reason}`,
          ),
        ),
      ),
    );
  }
  return parts.length > 0 ? parts : ['none'];
}

/**
 * The gateways: when each last delivered, how far the cloud has acknowledged, the backlog it
 * reported, and gaps (events held because an earlier seq is missing), which want a look at that
 * gateway's outbox; a seq the gateway set aside shows with the reason this cloud refused it.
 */
export const gatewaysView: View = async (root, _route, ctx) => {
  ctx.setTitle('Gateways');
  const error = alertBox('error');
  const summary = h('p', { class: 'count' });
  const tbody = h('tbody');
  const empty = h(
    'p',
    { class: 'empty', hidden: true },
    'No gateway has delivered yet: a gateway appears here with its first batch.',
  );
  const table = h(
    'table',
    { class: 'fleet', 'aria-busy': 'true' },
    h('caption', { class: 'visually-hidden' }, 'Gateways'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...[
          ['Gateway', ''],
          ['Last seen', ''],
          ['Acked seq', 'num'],
          ['Events received', 'num'],
          ['Duplicates ignored', 'num'],
          ['Backlog pending', 'num'],
          ['Oldest pending', 'num'],
          ['Gap', ''],
        ].map(([label, cls]) => h('th', { scope: 'col', class: cls || undefined }, label)),
      ),
    ),
    tbody,
  );
  replaceChildren(
    root,
    h(
      'section',
      { class: 'fleet-view', 'aria-labelledby': 'fleet-heading' },
      h('h1', { id: 'fleet-heading', tabindex: -1 }, 'Gateways'),
      error,
      summary,
      empty,
      h('div', { class: 'table-scroll' }, table),
    ),
  );

  const refresh = async () => {
    try {
      const { gateways } = await api<{ gateways: GatewayView[] }>('/api/v1/gateways', { signal: ctx.signal });
      const now = Date.now();
      replaceChildren(tbody, ...gateways.map((g) => gatewayRow(g, now)));
      // No rows, no header: a plain sentence instead.
      table.hidden = gateways.length === 0;
      empty.hidden = gateways.length > 0;
      const gaps = gateways.filter((g) => g.gap).length;
      const backlog = gateways.reduce((sum, g) => sum + (g.backlog?.pending ?? 0), 0);
      const setAside = gateways.reduce((sum, g) => sum + (g.setAside?.length ?? 0), 0);
      summary.textContent =
        `${gateways.length} gateway${gateways.length === 1 ? '' : 's'}, ` +
        `${gaps ? `${gaps} with a gap` : 'no gaps'}, ${backlog} event${backlog === 1 ? '' : 's'} reported waiting` +
        (setAside ? `, ${setAside} set aside at the edge` : '');
      table.removeAttribute('aria-busy');
      error.show('');
    } catch (failure) {
      if (!isAbort(failure)) error.show(`Could not load the gateways: ${errorMessage(failure)}`);
    }
  };
  const timer = setInterval(() => {
    if (!document.hidden) void refresh();
  }, REFRESH_MS);
  ctx.signal.addEventListener('abort', () => clearInterval(timer));
  await refresh();
};
