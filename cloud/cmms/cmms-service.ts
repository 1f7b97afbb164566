import type {
  CloseOut,
  TicketChange,
  TicketChangeType,
  TicketStatus,
  TicketView,
  WorkOrderLink,
} from '../../shared/schema/index.js';
import {
  type ConsumerHealth,
  startChangeConsumer,
  type RunningConsumer,
} from '../tickets/change-consumer.js';
import type { CloudWorker } from '../cloud-module.js';
import { type CloudServices, ticketLink } from '../services.js';
import { placeholders } from '../store/sql-database.js';
import { type CmmsConfig, type CmmsSettings, resolveCmmsSettings, type SyncStatus } from './cmms-config.js';
import type { WorkOrderConnector, WorkOrderUpdate } from './connector.js';
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

/** How the export and the sync are doing, counted since this instance started. */
export interface CmmsStatus {
  /** The connector's system, or null when only CSV export is possible. */
  system: string | null;
  exportOn: CmmsSettings['exportOn'];
  sync: {
    /** Whether status changes update work orders (a connector that can update, and `sync.on` not empty). */
    enabled: boolean;
    on: readonly SyncStatus[];
    /** Why sync is off, when it is. */
    reason?: string;
  };
  /** Work orders created by this instance. */
  exported: number;
  /** Work-order updates the CMMS took. */
  synced: number;
  /** Changes of tickets whose order belongs to another system (e.g. `csv`): not synced. */
  skipped: number;
  /** CMMS requests that failed (create or update); automatic ones are retried. */
  failures: number;
  lastError?: { at: string; message: string };
  /** The `cmms` change consumer; null when nothing is automatic. */
  consumer: ConsumerHealth | null;
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
  status(): CmmsStatus;
}

/** Statuses that mean someone took the work on: `acknowledged` export fires on them. */
const TAKEN_ON: readonly TicketStatus[] = ['acknowledged', 'in_progress'];

const PAGE_SIZE = 500;

/** One line: a CMMS remarks field is often a single line, and a log line must stay one. */
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();

/** The update of a ticket's work order for one transition: pure, so it is tested without a CMMS. */
export function workOrderUpdate(
  change: TicketChange,
  ticket: TicketView,
  settings: Pick<CmmsSettings, 'sync' | 'mapping'>,
): WorkOrderUpdate {
  const status = change.ticket.status;
  const detail = change.detail as { closeOut?: CloseOut; comment?: string; duplicateOf?: string };
  // Closing keeps the resolved ticket's close-out; the transition itself carries none.
  const closeOut = detail.closeOut ?? (status === 'closed' ? ticket.closeOut : undefined);
  const failureMode = closeOut?.failureMode;
  const done = status !== 'acknowledged' && status !== 'in_progress';
  const what = [
    `Plantwatch ticket ${ticket.id} ${status.replace('_', ' ')} by ${change.actor}`,
    closeOut ? `${closeOut.outcome}${failureMode ? ` (${failureMode})` : ''}: ${closeOut.actionTaken}` : '',
    detail.duplicateOf ? `duplicate of ${detail.duplicateOf}` : '',
    detail.comment && detail.comment !== closeOut?.actionTaken ? detail.comment : '',
  ].filter((part) => part !== '');
  return {
    ticketId: ticket.id,
    status,
    cmmsStatus: settings.sync.statusMap[status as SyncStatus] ?? status.toUpperCase(),
    ...(failureMode ? { failureCode: settings.mapping.failureCodes[failureMode] ?? failureMode } : {}),
    ...(closeOut ? { actionTaken: closeOut.actionTaken, outcome: closeOut.outcome } : {}),
    ...(done ? { completedAt: change.at } : {}),
    note: oneLine(what.join('; ')),
  };
}

/** Starts the CMMS export and sync with the `cmms:` section of cloud.yaml. */
export async function startCmms(
  services: CloudServices,
  config: CmmsConfig | undefined,
): Promise<CmmsService> {
  const { store, clock, logger } = services;
  const settings: CmmsSettings = resolveCmmsSettings(config);
  const connector: WorkOrderConnector | undefined = settings.rest
    ? createRestConnector(settings.rest, logger)
    : undefined;
  const exporting = new Map<string, Promise<WorkOrderLink>>();
  const counters = { exported: 0, synced: 0, skipped: 0, failures: 0 };
  let lastError: CmmsStatus['lastError'];
  const failed = (error: unknown) => {
    counters.failures++;
    lastError = { at: new Date(clock.now()).toISOString(), message: (error as Error).message };
  };
  const syncOff: string | undefined = !connector
    ? 'no connector (cmms.rest)'
    : !connector.update
      ? 'the connector cannot update work orders: set cmms.rest.update'
      : settings.sync.on.length === 0
        ? 'cmms.sync.on is empty'
        : undefined;

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
      failed(error);
      throw new CmmsFailedError((error as Error).message, { cause: error });
    }
    counters.exported++;
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

  const wantsSync = (change: TicketChange): boolean =>
    syncOff === undefined &&
    change.type === 'ticket.transitioned' &&
    (settings.sync.on as readonly TicketStatus[]).includes(change.ticket.status);

  /**
   * Updates the ticket's work order for one transition. Throws when the CMMS fails, so the consumer
   * retries this change (and holds back the later ones: a 'resolved' is never overtaken by 'closed').
   */
  async function syncWorkOrder(change: TicketChange): Promise<void> {
    if (!connector?.update) return;
    // The stored link as it is now: an order created or linked after this change is updated too.
    const ticket = await store.review.get(change.ticket.id, clock.now());
    const link = ticket?.workOrder;
    if (!ticket || !link) return;
    if (link.system !== connector.system) {
      counters.skipped++;
      logger.info(
        {
          ticketId: ticket.id,
          system: link.system,
          externalId: link.externalId,
          connector: connector.system,
        },
        'cmms sync skipped: the work order belongs to another system',
      );
      return;
    }
    const update = workOrderUpdate(change, ticket, settings);
    // The change's cursor makes each move its own request (resolved, reopened, resolved again),
    // while a redelivery of the same change repeats the key and is dropped by the CMMS.
    const key = `${ticket.id}:${update.status}:${change.cursor}`;
    try {
      await connector.update(link.externalId, update, key);
    } catch (error) {
      failed(error);
      throw new CmmsFailedError((error as Error).message, { cause: error });
    }
    counters.synced++;
    logger.info(
      {
        ticketId: ticket.id,
        externalId: link.externalId,
        status: update.status,
        cmmsStatus: update.cmmsStatus,
        cursor: change.cursor,
      },
      'ticket.work_order_synced',
    );
  }

  const automaticExport = connector !== undefined && settings.exportOn !== 'manual';
  const types = new Set<TicketChangeType>();
  if (automaticExport) types.add(settings.exportOn === 'opened' ? 'ticket.opened' : 'ticket.transitioned');
  if (syncOff === undefined) types.add('ticket.transitioned');

  let consumer: RunningConsumer | undefined;
  if (types.size > 0) {
    consumer = startChangeConsumer({
      name: 'cmms',
      db: store.database,
      feed: store.changes,
      logger,
      types: [...types],
      retry: settings.retry,
      // Throwing on a CMMS failure retries the same change with backoff until the CMMS takes it.
      handle: async (change) => {
        if (automaticExport && wantsExport(change)) {
          try {
            await exportTicket(change.ticket.id, 'cmms');
          } catch (error) {
            // A ticket deleted since has nothing left to export.
            if (!(error instanceof NoTicketError)) throw error;
          }
        }
        if (wantsSync(change)) await syncWorkOrder(change);
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
    {
      cmms: connector?.system ?? 'csv only',
      exportOn: connector ? settings.exportOn : 'manual',
      syncOn: syncOff === undefined ? settings.sync.on : [],
    },
    'cmms export ready',
  );
  if (connector && syncOff !== undefined) {
    logger.info({ cmms: connector.system, reason: syncOff }, 'cmms sync is off: work orders are not updated');
  }

  return {
    system: connector?.system,
    exportTicket,
    workOrder,
    workOrdersCsv: workOrdersCsvOf,
    status: () => ({
      system: connector?.system ?? null,
      exportOn: connector ? settings.exportOn : 'manual',
      sync: {
        enabled: syncOff === undefined,
        on: settings.sync.on,
        ...(syncOff !== undefined ? { reason: syncOff } : {}),
      },
      ...counters,
      ...(lastError ? { lastError: { ...lastError } } : {}),
      consumer: consumer?.health() ?? null,
    }),
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
