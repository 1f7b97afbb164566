import type { TicketChange, TicketStatus, TicketView, WorkOrderLink } from '../../shared/schema/index.js';
import { startChangeConsumer, type RunningConsumer } from '../bus/change-consumer.js';
import { type CloudServices, type CloudWorker, ticketLink } from '../services.js';
import { placeholders } from '../store/sql-database.js';
import { type CmmsSettings, resolveCmmsSettings } from './cmms-config.js';
import type { WorkOrderConnector } from './connector.js';
import { type CsvWorkOrder, workOrdersCsv } from './csv-export.js';
import { createRestConnector } from './rest-connector.js';
import { toWorkOrder, type WorkOrder } from './work-order.js';

/** The ticket does not exist. */
export class NoTicketError extends Error {}

/** Nothing to export to: the config has no connector. */
export class NoCmmsConnectorError extends Error {
  constructor() {
    super(
      'no CMMS connector is configured: set cmms.rest (url, headers, fields, idPath) in the cloud config, ' +
        'or export GET /api/v1/work-orders.csv and store the ids with PUT /api/v1/tickets/:id/work-order',
    );
  }
}

/** The CMMS refused or could not be reached; the message says what it answered. */
export class CmmsFailedError extends Error {}

export interface WorkOrderFilter {
  /** undefined: every site. */
  sites?: readonly string[];
  site?: string;
  statuses?: readonly TicketStatus[];
  /** Tickets opened at or after this (epoch ms). */
  fromMs?: number;
  /** Tickets opened before this (epoch ms). */
  toMs?: number;
}

/** Turns tickets into CMMS work orders and stores the work order's id back on the ticket. */
export interface CmmsService extends CloudWorker {
  /** Creates the ticket's work order (once: a second call returns the stored link). */
  exportTicket(ticketId: string, actor: string): Promise<WorkOrderLink>;
  /** The connector's system name, or undefined when only CSV export is possible. */
  readonly system: string | undefined;
  /** The ticket as a work order, with the configured mapping. */
  workOrder(ticket: TicketView): Promise<WorkOrder>;
  /** Every matching ticket as a CSV row, newest first. */
  workOrdersCsv(filter: WorkOrderFilter): Promise<string>;
}

/** Statuses that mean someone took the work on: `acknowledged` export fires on them. */
const TAKEN_ON: readonly TicketStatus[] = ['acknowledged', 'in_progress'];

const PAGE_SIZE = 500;

export async function startCmms(services: CloudServices): Promise<CmmsService> {
  const { store, clock, logger } = services;
  const settings: CmmsSettings = resolveCmmsSettings(services.config.cmms);
  const connector: WorkOrderConnector | undefined = settings.rest
    ? createRestConnector(settings.rest, logger)
    : undefined;
  const exporting = new Map<string, Promise<WorkOrderLink>>();

  async function assetNames(assetIds: readonly string[]): Promise<Map<string, string>> {
    const ids = [...new Set(assetIds)];
    if (ids.length === 0) return new Map();
    const rows = await store.database.all<{ asset_id: string; name: string | null }>(
      `SELECT asset_id, name FROM assets WHERE asset_id IN (${placeholders(ids.length)})`,
      ids,
    );
    return new Map(rows.flatMap((r) => (r.name ? [[r.asset_id, r.name] as const] : [])));
  }

  const orderOf = (ticket: TicketView, names: Map<string, string>): WorkOrder => {
    const assetName = names.get(ticket.assetId);
    return toWorkOrder(ticket, {
      mapping: settings.mapping,
      evidenceUrl: ticketLink(services, ticket.id),
      ...(assetName ? { assetName } : {}),
    });
  };

  const workOrder = async (ticket: TicketView) => orderOf(ticket, await assetNames([ticket.assetId]));

  async function createWorkOrder(ticketId: string, actor: string): Promise<WorkOrderLink> {
    const ticket = await store.review.get(ticketId, clock.now());
    if (!ticket) throw new NoTicketError(`no ticket with id '${ticketId}'`);
    if (ticket.workOrder) return ticket.workOrder;
    if (!connector) throw new NoCmmsConnectorError();
    let created;
    try {
      created = await connector.create(await workOrder(ticket), ticket.id);
    } catch (error) {
      throw new CmmsFailedError((error as Error).message, { cause: error });
    }
    const link: WorkOrderLink = {
      system: connector.system,
      externalId: created.externalId,
      ...(created.url ? { url: created.url } : {}),
      linkedAt: new Date(clock.now()).toISOString(),
    };
    const outcome = await store.review.linkWorkOrder(ticket.id, actor, link, clock.now());
    if ('problem' in outcome) throw new NoTicketError(outcome.problem.message);
    logger.info(
      { ticketId: ticket.id, system: link.system, externalId: link.externalId, actor },
      'ticket.work_order_linked',
    );
    return link;
  }

  /** One export per ticket at a time in this process: a double click must not create two orders. */
  function exportTicket(ticketId: string, actor: string): Promise<WorkOrderLink> {
    const running = exporting.get(ticketId);
    if (running) return running;
    const started = createWorkOrder(ticketId, actor).finally(() => exporting.delete(ticketId));
    exporting.set(ticketId, started);
    return started;
  }

  function wantsExport(change: TicketChange): boolean {
    if (change.ticket.workOrderId !== undefined) return false;
    if (settings.exportOn === 'opened') return change.type === 'ticket.opened' && !change.ticket.historical;
    if (settings.exportOn === 'acknowledged') {
      return change.type === 'ticket.transitioned' && TAKEN_ON.includes(change.ticket.status);
    }
    return false;
  }

  let consumer: RunningConsumer | undefined;
  if (connector && settings.exportOn !== 'manual') {
    consumer = startChangeConsumer({
      name: 'cmms',
      db: store.database,
      feed: store.changes,
      logger,
      types: settings.exportOn === 'opened' ? ['ticket.opened'] : ['ticket.transitioned'],
      retry: settings.retry,
      // Throwing on a CMMS failure retries the same change with backoff until the CMMS takes it.
      handle: async (change) => {
        if (!wantsExport(change)) return;
        try {
          await exportTicket(change.ticket.id, 'cmms');
        } catch (error) {
          // A ticket deleted since has nothing left to export.
          if (!(error instanceof NoTicketError)) throw error;
        }
      },
    });
  }

  async function workOrdersCsvOf(filter: WorkOrderFilter): Promise<string> {
    const rows: CsvWorkOrder[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.review.list(
        {
          sort: 'newest',
          limit: PAGE_SIZE,
          ...(filter.sites ? { sites: filter.sites } : {}),
          ...(filter.site !== undefined ? { site: filter.site } : {}),
          ...(filter.statuses ? { statuses: filter.statuses } : {}),
          ...(cursor ? { cursor } : {}),
        },
        clock.now(),
      );
      const tickets = page.tickets.filter((t) => {
        const openedMs = Date.parse(t.firstSeen);
        return (
          (filter.fromMs === undefined || openedMs >= filter.fromMs) &&
          (filter.toMs === undefined || openedMs < filter.toMs)
        );
      });
      const names = await assetNames(tickets.map((t) => t.assetId));
      for (const ticket of tickets) {
        rows.push({
          order: orderOf(ticket, names),
          ...(ticket.workOrder ? { externalId: ticket.workOrder.externalId } : {}),
        });
      }
      cursor = page.nextCursor;
    } while (cursor);
    return workOrdersCsv(rows);
  }

  logger.info(
    { cmms: connector?.system ?? 'csv only', exportOn: connector ? settings.exportOn : 'manual' },
    'cmms export ready',
  );

  return {
    system: connector?.system,
    exportTicket,
    workOrder,
    workOrdersCsv: workOrdersCsvOf,
    async idle() {
      await consumer?.idle();
      await Promise.allSettled([...exporting.values()]);
    },
    async stop() {
      await consumer?.stop();
      await Promise.allSettled([...exporting.values()]);
    },
  };
}
