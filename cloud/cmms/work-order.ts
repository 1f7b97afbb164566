import type { Severity, TicketView, TriggeringValue } from '../../shared/schema/index.js';

/** A ticket as a CMMS work order: the fields every CMMS has in some form. */
export interface WorkOrder {
  ticketId: string;
  site: string;
  assetId: string;
  /** From the asset registry, when it names the asset. */
  assetName?: string;
  title: string;
  problemCode: string;
  /** From the close-out's failure mode, once the ticket was resolved. */
  failureCode?: string;
  priority: number | string;
  dueDate: string;
  /** Plain text for the CMMS's long description: what, why, what to do, and the evidence link. */
  description: string;
  evidenceUrl: string;
  severity: Severity;
  fault: string;
  openedAt: string;
}

/** The fields in CSV column order (the long description last: it spans lines). */
export const WORK_ORDER_FIELDS = [
  'ticketId',
  'site',
  'assetId',
  'assetName',
  'title',
  'problemCode',
  'failureCode',
  'priority',
  'dueDate',
  'severity',
  'fault',
  'openedAt',
  'evidenceUrl',
  'description',
] as const satisfies readonly (keyof WorkOrder)[];
export type WorkOrderField = (typeof WORK_ORDER_FIELDS)[number];

export interface WorkOrderMapping {
  priority: Record<Severity, number | string>;
  /** Fault → problem code; a fault not listed is sent upper-cased. */
  problemCodes: Record<string, string>;
  /** Failure mode → failure code; a mode not listed is sent as it is. */
  failureCodes: Record<string, string>;
}

export interface WorkOrderContext {
  mapping: WorkOrderMapping;
  /** The ticket's page in the console (`ticketLink`). */
  evidenceUrl: string;
  assetName?: string;
}

const formatValue = (value: number | string, unit: string | undefined) =>
  unit && typeof value === 'number' ? `${value} ${unit}` : String(value);

/** `velocityRmsMmS = 6.1 mm/s (threshold > 4.5 mm/s)`: the reading and the limit it crossed. */
export const describeTriggeringValue = (v: TriggeringValue): string =>
  `${v.metric} = ${formatValue(v.value, v.unit)} (threshold ${v.comparison} ${formatValue(v.threshold, v.unit)})`;

function description(ticket: TicketView, evidenceUrl: string): string {
  const lines = [ticket.title, ''];
  if (ticket.summary) lines.push(ticket.summary, '');
  if (ticket.evidence.triggeringValues.length > 0) {
    lines.push(
      'Triggering values:',
      ...ticket.evidence.triggeringValues.map((v) => `- ${describeTriggeringValue(v)}`),
      '',
    );
  }
  if (ticket.prediction) {
    const p = ticket.prediction;
    lines.push(`Predicted: ${p.metric} reaches ${p.threshold} around ${p.eta}`, '');
  }
  if (ticket.suggestedAction) lines.push(`Suggested action: ${ticket.suggestedAction}`);
  if (ticket.closeOut) {
    lines.push(`Close-out: ${ticket.closeOut.outcome}; ${ticket.closeOut.actionTaken}`);
  }
  lines.push(`Rule: ${ticket.rule.id}@${ticket.rule.version}`, `Evidence: ${evidenceUrl}`);
  return lines.join('\n');
}

/** Maps a ticket to its work order: pure, so the mapping is tested without a CMMS. */
export function toWorkOrder(ticket: TicketView, context: WorkOrderContext): WorkOrder {
  const { mapping } = context;
  const failureMode = ticket.closeOut?.failureMode;
  return {
    ticketId: ticket.id,
    site: ticket.site,
    assetId: ticket.assetId,
    ...(context.assetName ? { assetName: context.assetName } : {}),
    title: ticket.title,
    problemCode: mapping.problemCodes[ticket.fault] ?? ticket.fault.toUpperCase(),
    ...(failureMode ? { failureCode: mapping.failureCodes[failureMode] ?? failureMode } : {}),
    priority: mapping.priority[ticket.severity],
    dueDate: ticket.dueAt,
    description: description(ticket, context.evidenceUrl),
    evidenceUrl: context.evidenceUrl,
    severity: ticket.severity,
    fault: ticket.fault,
    openedAt: ticket.firstSeen,
  };
}
