import type { WorkOrder } from './work-order.js';

/** What a CMMS gave back for a created work order. */
export interface CreatedWorkOrder {
  externalId: string;
  /** The work order's page in the CMMS, when known. */
  url?: string;
}

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
}
