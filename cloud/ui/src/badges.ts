import { h } from './dom.js';
import type { SlaState } from './format.js';
import { STATUS_LABELS } from './lifecycle.js';
import type { Severity, TicketStatus } from './types.js';

/** Severity in words as well as colour: colour alone says nothing to a colour-blind engineer. */
export const severityBadge = (severity: Severity): HTMLSpanElement =>
  h('span', { class: `badge severity-${severity}`, 'data-severity': severity }, severity);

export const statusBadge = (status: TicketStatus): HTMLSpanElement =>
  h('span', { class: `badge status status-${status}` }, STATUS_LABELS[status]);

export const slaBadge = (sla: SlaState, dueAt: string): HTMLSpanElement =>
  h(
    'span',
    { class: `sla sla-${sla.state}`, title: `due ${dueAt}` },
    sla.state === 'overdue' ? h('span', { class: 'badge overdue' }, 'overdue') : null,
    sla.state === 'overdue' ? ` ${sla.text.replace(/^overdue /, '')}` : sla.text,
  );
