import type { WorkOrderLink } from '../../shared/schema/index.js';
import type { CloudServices, CloudWorker } from '../services.js';

/** Turns tickets into CMMS work orders and stores the work order's id back on the ticket. */
export interface CmmsService extends CloudWorker {
  /** Creates the ticket's work order (once: a second call returns the stored link). */
  exportTicket(ticketId: string, actor: string): Promise<WorkOrderLink>;
}

export async function startCmms(services: CloudServices): Promise<CmmsService> {
  void services;
  return {
    idle: async () => {},
    stop: async () => {},
    exportTicket: async () => {
      throw new Error('no CMMS connector configured');
    },
  };
}
