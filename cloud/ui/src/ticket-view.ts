import { api, errorMessage, isAbort } from './api.js';
import { severityBadge, slaBadge, statusBadge } from './badges.js';
import { type Child, h, replaceChildren } from './dom.js';
import { faultLabel } from './faults.js';
import { formatDuration, formatNumber, formatTime, relativeTime, slaCountdown } from './format.js';
import { canAct, OPEN_STATUSES, STATUS_LABELS } from './lifecycle.js';
import { hrefs } from './router.js';
import { spectrumFigures } from './spectrum-section.js';
import { ticketActions } from './ticket-actions.js';
import { ticketTrend } from './ticket-trend.js';
import type { AuditEntry, Contributor, TicketDetail, TriggeringValue } from './types.js';
import type { View, ViewContext } from './view.js';

const show = (value: number | string): string => (typeof value === 'number' ? formatNumber(value, 4) : value);

/** A definition list from label/value pairs; pairs with no value are left out. */
function facts(rows: [string, Child][]): HTMLDListElement {
  const list = h('dl', { class: 'facts' });
  for (const [label, value] of rows) {
    if (value === undefined || value === null || value === false || value === '') continue;
    list.append(h('dt', {}, label), h('dd', {}, value));
  }
  return list;
}

const section = (id: string, title: string, ...children: Child[]) =>
  h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...children);

const time = (iso: string, now: number) =>
  h('time', { datetime: iso, title: iso }, `${formatTime(iso)} (${relativeTime(iso, now)})`);

function triggeringTable(values: TriggeringValue[]): HTMLElement {
  if (values.length === 0) return h('p', { class: 'muted' }, 'No triggering values recorded.');
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: 'triggering' },
      h('caption', { class: 'visually-hidden' }, 'Triggering values against their thresholds'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ...['Metric', 'Value', 'Comparison', 'Threshold', 'Unit'].map((c) =>
            h('th', { scope: 'col', class: c === 'Value' || c === 'Threshold' ? 'num' : undefined }, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        ...values.map((v) =>
          h(
            'tr',
            {},
            h('th', { scope: 'row' }, v.metric),
            h('td', { class: 'num' }, show(v.value)),
            h('td', { class: 'comparison' }, v.comparison),
            h('td', { class: 'num' }, show(v.threshold)),
            h('td', {}, v.unit ?? ''),
          ),
        ),
      ),
    ),
  );
}

/**
 * Who sees this problem: each rule on each channel with its latest evidence, and the generic
 * conditions folded in because the diagnosis explains them (with why). Omitted for a ticket with
 * a single contributor of its own: the summary says it all.
 */
function contributorsSection(contributors: Contributor[] | undefined, now: number): HTMLElement | null {
  if (!contributors || (contributors.length === 1 && !contributors[0]?.folded)) return null;
  const own = contributors.filter((c) => !c.folded);
  const folded = contributors.filter((c) => c.folded);
  const item = (c: Contributor) =>
    h(
      'li',
      { class: c.active ? 'contributor active' : 'contributor' },
      h(
        'a',
        { href: hrefs.rules(c.rule.id, c.rule.version), class: 'rule-link' },
        `${c.rule.id} @ ${c.rule.version.slice(0, 12)}`,
      ),
      ` on ${c.channel}: ${c.summary.startsWith(`${c.channel}: `) ? c.summary.slice(c.channel.length + 2) : c.summary} — `,
      severityBadge(c.severity),
      ' ',
      c.active ? 'firing since ' : 'cleared ',
      time(c.active ? c.since : (c.clearedAt ?? c.lastSeen), now),
      c.folded ? h('p', { class: 'muted' }, `Folded in: ${c.folded.reason}`) : null,
      c.folded?.fromTicketId
        ? h(
            'p',
            { class: 'muted' },
            'Had its own ticket before: ',
            h('a', { href: hrefs.ticket(c.folded.fromTicketId) }, c.folded.fromTicketId),
          )
        : null,
    );
  return section(
    'contributors-heading',
    'Contributors',
    h(
      'ul',
      { class: 'contributors', 'aria-label': 'Rules and channels that see this problem' },
      ...own.map(item),
    ),
    folded.length
      ? h(
          'div',
          {},
          h('h3', {}, 'Folded conditions'),
          h(
            'p',
            { class: 'muted' },
            'Generic conditions on this asset that the diagnosis explains: severity evidence, not tickets of their own.',
          ),
          h('ul', { class: 'contributors folded' }, ...folded.map(item)),
        )
      : null,
  );
}

const reason = (why: string | undefined): string => (why ? `: ${why}` : '');

/** One audit line in words: who did what, when. */
function auditLine(entry: AuditEntry, now: number): HTMLLIElement {
  const d = entry.detail;
  const text = (key: string) => (typeof d[key] === 'string' ? (d[key] as string) : undefined);
  let what: string;
  switch (entry.action) {
    case 'opened':
      what = `opened the ticket${text('severity') ? ` (${text('severity')})` : ''}`;
      break;
    case 'cleared':
      what = 'reported the condition cleared';
      break;
    case 'transition': {
      const closeOut = d.closeOut as { outcome?: string; failureMode?: string } | undefined;
      what =
        `moved it from ${text('from') ?? '?'} to ${text('to') ?? '?'}` +
        (closeOut?.outcome
          ? ` (${closeOut.outcome}${closeOut.failureMode ? `, ${closeOut.failureMode}` : ''})`
          : '') +
        (text('duplicateOf') ? ` of ${text('duplicateOf')}` : '');
      break;
    }
    case 'assign':
      what = (d.to ? `assigned it to ${String(d.to)}` : 'unassigned it') + reason(text('reason'));
      break;
    case 'escalate':
      what = `escalated it to ${String(d.to ?? '?')}` + reason(text('reason'));
      break;
    case 'severity_raised':
      what =
        `raised it${text('to') && text('to') !== text('from') ? ` to ${text('to')}` : ''}` +
        reason(text('reason'));
      break;
    case 'escalation_paused':
      what = 'stopped paging' + reason(text('reason'));
      break;
    case 'escalation_resumed':
      what = 'resumed paging' + reason(text('reason'));
      break;
    case 'comment':
      what = 'commented';
      break;
    case 'work_order':
      what = `linked work order ${text('externalId') ?? '?'} in ${text('system') ?? 'the CMMS'}`;
      break;
    case 'imported':
      what = 'imported it from an earlier system';
      break;
  }
  return h('li', {}, time(entry.at, now), ' ', h('strong', {}, entry.actor), ` ${what}`);
}

/** The evidence: what the edge saw and why it raised the ticket. Rendered once per visit. */
function evidenceColumn(ticket: TicketDetail, ctx: ViewContext, trendQuery: URLSearchParams): HTMLElement {
  const now = Date.now();
  const { evidence, prediction } = ticket;
  const trendSlot = ticketTrend(ticket, ctx.signal, trendQuery);
  return h(
    'div',
    { class: 'ticket-main' },
    section(
      'summary-heading',
      'Summary',
      ticket.summary ? h('p', {}, ticket.summary) : null,
      facts([
        ['Asset', h('a', { href: hrefs.asset(ticket.assetId) }, ticket.assetId)],
        ['Site', ticket.site],
        ['Fault', faultLabel(ticket.fault)],
        ['Channel', evidence.channel],
        [
          'Rule',
          h(
            'a',
            { href: hrefs.rules(ticket.rule.id, ticket.rule.version), class: 'rule-link' },
            `${ticket.rule.id} @ ${ticket.rule.version.slice(0, 12)}`,
          ),
        ],
        [
          'Confidence',
          evidence.confidence !== undefined ? `${Math.round(evidence.confidence * 100)} %` : undefined,
        ],
        ['Suggested action', ticket.suggestedAction],
        ['Occurrences', String(ticket.occurrences)],
        ['First seen', time(ticket.firstSeen, now)],
        ['Last seen', time(ticket.lastSeen, now)],
        ['Condition cleared', ticket.clearedAt ? time(ticket.clearedAt, now) : undefined],
        ['Evidence window', `${formatTime(evidence.windowStart)} – ${formatTime(evidence.windowEnd)}`],
        [
          'Previous ticket',
          ticket.previousTicketId
            ? h('a', { href: hrefs.ticket(ticket.previousTicketId) }, ticket.previousTicketId)
            : undefined,
        ],
        [
          'Folded into',
          ticket.foldedInto
            ? h('a', { href: hrefs.ticket(ticket.foldedInto) }, ticket.foldedInto)
            : undefined,
        ],
        ['Gateway', ticket.gatewayId],
      ]),
    ),
    contributorsSection(ticket.contributors, now),
    section(
      'reasoning-heading',
      'Reasoning',
      evidence.reasoning.length
        ? h('ol', { class: 'reasoning' }, ...evidence.reasoning.map((step) => h('li', {}, step)))
        : h('p', { class: 'muted' }, 'No reasoning recorded.'),
    ),
    section('triggering-heading', 'Triggering values', triggeringTable(evidence.triggeringValues)),
    prediction
      ? section(
          'prediction-heading',
          'Prediction',
          facts([
            ['Metric', prediction.metric],
            ['Threshold', formatNumber(prediction.threshold, 4)],
            ['ETA', time(prediction.eta, now)],
            [
              'Interval',
              `${formatTime(prediction.intervalStart)} – ${prediction.intervalEnd ? formatTime(prediction.intervalEnd) : 'open-ended'}`,
            ],
            ['Current level', prediction.level !== undefined ? formatNumber(prediction.level, 4) : undefined],
            [
              'Rate',
              prediction.ratePerDay !== undefined
                ? prediction.model === 'exponential'
                  ? `${formatNumber(prediction.ratePerDay * 100, 3)} % a day`
                  : `${formatNumber(prediction.ratePerDay, 3)} a day`
                : undefined,
            ],
            ['Model', prediction.model],
            ['Points fitted', prediction.points !== undefined ? String(prediction.points) : undefined],
          ]),
        )
      : null,
    evidence.spectrum || evidence.envelopeSpectrum
      ? section('spectrum-heading', 'Spectrum snapshot', ...spectrumFigures(ticket, ctx.signal))
      : null,
    section('trend-heading', 'Trend', trendSlot),
  );
}

/** The parts that change when an engineer acts: status, SLA, assignee, actions, comments, history. */
function reviewColumn(ticket: TicketDetail, ctx: ViewContext, reload: (message: string) => Promise<void>) {
  const now = Date.now();
  const user = ctx.user;
  const closeOut = ticket.closeOut;
  return h(
    'div',
    { class: 'ticket-side' },
    user && canAct(user.role) ? ticketActions({ ticket, user, onChanged: reload }) : null,
    closeOut
      ? section(
          'closeout-result-heading',
          'Close-out',
          facts([
            ['Outcome', closeOut.outcome.replaceAll('_', ' ')],
            ['Failure mode', closeOut.failureMode],
            ['Action taken', closeOut.actionTaken],
            [
              'Failure time',
              closeOut.failureAt
                ? time(closeOut.failureAt, now)
                : closeOut.outcome === 'confirmed'
                  ? 'unknown (not in the lead time)'
                  : undefined,
            ],
            [
              'Condition',
              closeOut.resolvedWhileActive ? 'still active at the edge when resolved (confirmed)' : undefined,
            ],
            [
              'Lead time',
              closeOut.failureAt
                ? formatDuration(Date.parse(closeOut.failureAt) - Date.parse(ticket.firstSeen))
                : undefined,
            ],
          ]),
        )
      : null,
    section(
      'comments-heading',
      `Comments (${ticket.comments.length})`,
      ticket.comments.length
        ? h(
            'ol',
            { class: 'comments' },
            ...ticket.comments.map((c) =>
              h(
                'li',
                {},
                h('div', { class: 'comment-meta' }, h('strong', {}, c.author), ' ', time(c.at, now)),
                h('p', {}, c.text),
              ),
            ),
          )
        : h('p', { class: 'muted' }, 'No comments yet.'),
    ),
    section(
      'audit-heading',
      'History',
      h('ol', { class: 'audit' }, ...ticket.audit.map((entry) => auditLine(entry, now))),
    ),
  );
}

function headerBlock(ticket: TicketDetail): HTMLElement {
  const open = OPEN_STATUSES.includes(ticket.status);
  const sla = slaCountdown(ticket.dueAt, ticket.overdue, open, Date.now());
  return h(
    'div',
    { class: 'ticket-badges' },
    severityBadge(ticket.severity),
    ticket.priority ? h('span', { class: 'badge priority' }, ticket.priority) : null,
    statusBadge(ticket.status),
    ticket.prediction
      ? h('span', { class: 'tag predicted' }, 'predicted')
      : h('span', { class: 'tag' }, 'fired'),
    ticket.condition === 'cleared' ? h('span', { class: 'tag' }, 'condition cleared') : null,
    slaBadge(sla, ticket.dueAt),
    h('span', { class: 'assignee' }, ticket.assignee ? `Assigned to ${ticket.assignee}` : 'Unassigned'),
    ticket.workOrder ? workOrderTag(ticket.workOrder) : null,
  );
}

function workOrderTag(workOrder: NonNullable<TicketDetail['workOrder']>): HTMLElement {
  const label = `Work order ${workOrder.externalId}`;
  return workOrder.url
    ? h('a', { class: 'tag work-order', href: workOrder.url, target: '_blank', rel: 'noopener' }, label)
    : h('span', { class: 'tag work-order' }, label);
}

export const ticketView: View = async (root, route, ctx) => {
  const id = route.params.id ?? '';
  ctx.setTitle(`Ticket ${id}`);
  replaceChildren(root, h('p', { class: 'muted', 'aria-busy': 'true' }, 'Loading the ticket…'));
  const load = () => api<TicketDetail>(`/api/v1/tickets/${encodeURIComponent(id)}`, { signal: ctx.signal });
  let ticket: TicketDetail;
  try {
    ticket = await load();
  } catch (failure) {
    if (isAbort(failure)) return;
    replaceChildren(
      root,
      h('h1', { tabindex: -1 }, 'Ticket not shown'),
      h('p', { class: 'error', role: 'alert' }, errorMessage(failure)),
      h('p', {}, h('a', { href: hrefs.queue() }, 'Back to the queue')),
    );
    return;
  }
  ctx.setTitle(ticket.title);

  const header = h('div', { class: 'ticket-header' });
  const side = h('div', { class: 'ticket-side-slot' });
  const renderReview = (current: TicketDetail) => {
    replaceChildren(header, headerBlock(current));
    replaceChildren(side, reviewColumn(current, ctx, reload));
  };
  async function reload(message: string) {
    const fresh = await load();
    renderReview(fresh);
    ctx.announce(`${message} Status: ${STATUS_LABELS[fresh.status]}.`);
    // On a phone the move may have come from the bar at the screen's bottom: keep the reader's place.
    const bar = side.querySelector('.action-bar');
    const barShown = bar !== null && bar.getClientRects().length > 0;
    side.querySelector<HTMLElement>('#actions-heading')?.focus({ preventScroll: barShown });
  }
  renderReview(ticket);

  replaceChildren(
    root,
    h(
      'article',
      { class: 'ticket-view', 'data-ticket-id': ticket.id, 'aria-labelledby': 'ticket-title' },
      h(
        'nav',
        { class: 'crumbs', 'aria-label': 'Breadcrumb' },
        h('a', { href: hrefs.queue() }, 'Queue'),
        ' › ',
        h('a', { href: hrefs.asset(ticket.assetId) }, ticket.assetId),
        ' › ',
        h('span', { 'aria-current': 'page' }, ticket.id),
      ),
      h('h1', { id: 'ticket-title', tabindex: -1 }, ticket.title),
      header,
      h('div', { class: 'ticket-layout' }, evidenceColumn(ticket, ctx, route.query), side),
    ),
  );
};
