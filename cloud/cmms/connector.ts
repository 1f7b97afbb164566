import type { Outcome, TicketStatus } from '../../shared/schema/index.js';
import type { WorkOrder } from './work-order.js';

/** What a CMMS gave back for a created work order. */
export interface CreatedWorkOrder {
  externalId: string;
  /** The work order's page in the CMMS, when known. */
  url?: string;
}

/** What happened to a ticket that has a work order: sent to the CMMS by `update`. */
export interface WorkOrderUpdate {
  ticketId: string;
  /** The ticket's new status in Plantwatch. */
  status: TicketStatus;
  /** That status in the CMMS's words (`cmms.sync.statusMap`), e.g. `COMP`. */
  cmmsStatus: string;
  /** The close-out's failure mode through `cmms.mapping.failureCodes`. */
  failureCode?: string;
  actionTaken?: string;
  outcome?: Outcome;
  /** When the ticket was resolved, closed or dismissed (the transition's time). */
  completedAt?: string;
  /** One line of what happened, for the CMMS's remarks / log. */
  note: string;
}

/** The fields of an update that `cmms.rest.update.fields` may name (plus the order's `externalId`). */
export const WORK_ORDER_UPDATE_FIELDS = [
  'externalId',
  'ticketId',
  'status',
  'cmmsStatus',
  'failureCode',
  'actionTaken',
  'outcome',
  'completedAt',
  'note',
] as const satisfies readonly (keyof WorkOrderUpdate | 'externalId')[];
export type WorkOrderUpdateField = (typeof WORK_ORDER_UPDATE_FIELDS)[number];

/**
 * An outbound connector to one CMMS. The module knows a CMMS only through this: a Maximo, SAP PM or
 * Fiix connector is another implementation beside the generic REST one.
 */
export interface WorkOrderConnector {
  /** Names the system in the stored link, e.g. `rest`. */
  readonly system: string;
  /**
   * Creates the work order. The key is stable per ticket (its id), so a CMMS that honours
   * idempotency keys does not create a second order when a retry follows a lost reply.
   * Throws an error whose message says what the CMMS answered.
   */
  create(order: WorkOrder, idempotencyKey: string): Promise<CreatedWorkOrder>;
  /**
   * Updates the work order `externalId` (its status, failure code, remarks) as its ticket moves on.
   * Optional: a connector without it leaves orders as they were created. The key is
   * `<ticket id>:<status>`. Throws an error whose message says what the CMMS answered.
   */
  update?(externalId: string, update: WorkOrderUpdate, idempotencyKey: string): Promise<void>;
}
