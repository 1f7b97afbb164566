import type { Logger } from 'pino';
import type { RestConnectorSettings } from './cmms-config.js';
import type { CreatedWorkOrder, WorkOrderConnector, WorkOrderUpdate } from './connector.js';
import type { WorkOrder } from './work-order.js';

/** How much of a CMMS's error reply goes into our error message. */
const BODY_EXCERPT_CHARS = 300;

/**
 * The CMMS's request body: its field names filled from the work order (or update), or `=literal`s.
 * A field whose source is unset is left out.
 */
export function mapFields(
  source: WorkOrder | (WorkOrderUpdate & { externalId: string }),
  fields: Record<string, string> | undefined,
): Record<string, unknown> {
  if (!fields) return { ...source };
  const values = source as unknown as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  for (const [cmmsField, from] of Object.entries(fields)) {
    const value = from.startsWith('=') ? from.slice(1) : values[from];
    if (value !== undefined) body[cmmsField] = value;
  }
  return body;
}

/** The value at a dotted path (`data.workOrderId`) of a parsed JSON reply. */
function valueAt(reply: unknown, path: string): unknown {
  let value = reply;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** The URL without its query: what may be logged (a token can hide in a query string). */
const loggableUrl = (url: string): string => {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
};

/**
 * A CMMS with a JSON REST API: POSTs the mapped fields with an `Idempotency-Key`, reads the new
 * work order's id from the reply at `idPath`.
 */
export function createRestConnector(settings: RestConnectorSettings, logger: Logger): WorkOrderConnector {
  /** Sends one JSON request; the reply's text when the CMMS answered 2xx, else an error saying what it answered. */
  async function send(
    method: string,
    url: string,
    body: Record<string, unknown>,
    idempotencyKey: string,
    log: Record<string, unknown>,
  ): Promise<{ status: number; text: string }> {
    const target = loggableUrl(url);
    const started = Date.now();
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...settings.headers,
          'idempotency-key': idempotencyKey,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(settings.timeoutMs),
      });
    } catch (error) {
      const cause =
        (error as Error).name === 'TimeoutError'
          ? `no answer within ${settings.timeoutMs} ms (cmms.rest.timeout)`
          : ((error as Error & { cause?: Error }).cause?.message ?? (error as Error).message);
      throw new Error(`the CMMS at ${target} could not be reached: ${cause}`, { cause: error });
    }
    const text = await response.text();
    logger.info(
      { cmms: target, method, ...log, status: response.status, ms: Date.now() - started },
      'cmms work order request',
    );
    if (!response.ok) {
      const excerpt = text.slice(0, BODY_EXCERPT_CHARS).trim();
      throw new Error(
        `the CMMS answered ${response.status} ${response.statusText}${excerpt ? `: ${excerpt}` : ''}`,
      );
    }
    return { status: response.status, text };
  }

  const update = settings.update;
  return {
    system: 'rest',
    async create(order: WorkOrder, idempotencyKey: string): Promise<CreatedWorkOrder> {
      const response = await send('POST', settings.url, mapFields(order, settings.fields), idempotencyKey, {
        ticketId: order.ticketId,
      });
      const text = response.text;
      let reply: unknown;
      try {
        reply = JSON.parse(text);
      } catch {
        throw new Error(`the CMMS answered ${response.status} but not with JSON: ${text.slice(0, 100)}`);
      }
      const id = valueAt(reply, settings.idPath);
      if ((typeof id !== 'string' || id === '') && typeof id !== 'number') {
        throw new Error(`the CMMS reply has no ${settings.idPath}; set cmms.rest.idPath`);
      }
      const externalId = String(id);
      return {
        externalId,
        ...(settings.linkTemplate
          ? { url: settings.linkTemplate.replaceAll('{id}', encodeURIComponent(externalId)) }
          : {}),
      };
    },
    // Without cmms.rest.update the connector cannot update: sync is off.
    ...(update
      ? {
          async update(externalId: string, change: WorkOrderUpdate, idempotencyKey: string): Promise<void> {
            await send(
              update.method,
              update.urlTemplate.replaceAll('{id}', encodeURIComponent(externalId)),
              mapFields({ externalId, ...change }, update.fields),
              idempotencyKey,
              { ticketId: change.ticketId, externalId, ticketStatus: change.status },
            );
          },
        }
      : {}),
  };
}
