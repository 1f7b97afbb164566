import { type Static, Type } from '@sinclair/typebox';
import type { BackoffPolicy } from '../../shared/backoff.js';
import { Duration, durationMs as parseDuration } from '../../shared/duration.js';
import type { Fault, Severity, TicketStatus } from '../../shared/schema/index.js';
import { WORK_ORDER_UPDATE_FIELDS } from './connector.js';
import { WORK_ORDER_FIELDS, type WorkOrderMapping } from './work-order.js';

const CodeMap = Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 64 }));

/** Statuses a ticket can move to (never back to `new`): what `cmms.sync` can act on. */
export const SYNC_STATUSES = [
  'acknowledged',
  'in_progress',
  'resolved',
  'closed',
  'false_positive',
  'duplicate',
] as const satisfies readonly TicketStatus[];
export type SyncStatus = (typeof SYNC_STATUSES)[number];
const SyncStatus = Type.Union(SYNC_STATUSES.map((s) => Type.Literal(s)));

const FieldMap = Type.Record(Type.String(), Type.String({ minLength: 1 }));

const PriorityValue = Type.Union([Type.Integer(), Type.String({ minLength: 1, maxLength: 32 })]);

export const RestConnectorConfig = Type.Object(
  {
    /** Where work orders are POSTed. */
    url: Type.String({ pattern: '^https?://' }),
    /** Sent with every request, e.g. `Authorization: 'Bearer ${CMMS_TOKEN}'`; never logged. */
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    /**
     * CMMS field → work-order field, or a literal with a `=` prefix (`worktype: '=PdM'`). Default:
     * the work order as it is, every field under its own name.
     */
    fields: Type.Optional(FieldMap),
    /** Dotted path of the created work order's id in the JSON reply (default `id`). */
    idPath: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$' })),
    /** The work order's page in the CMMS, `{id}` replaced by its id. */
    linkTemplate: Type.Optional(Type.String({ pattern: '^https?://' })),
    timeout: Type.Optional(Duration),
    /**
     * How a work order is updated as its ticket moves on (`cmms.sync`). Without it the connector
     * cannot update and nothing is synced.
     */
    update: Type.Optional(
      Type.Object(
        {
          method: Type.Optional(
            Type.Union([Type.Literal('PATCH'), Type.Literal('PUT'), Type.Literal('POST')]),
          ),
          /** The work order's URL, `{id}` replaced by its id (default `<url>/{id}`). */
          urlTemplate: Type.Optional(Type.String({ pattern: '^https?://' })),
          /** CMMS field → update field, or a `=literal`. Default: the update as it is. */
          fields: Type.Optional(FieldMap),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type RestConnectorConfig = Static<typeof RestConnectorConfig>;

/** The `cmms` section of the cloud config file. */
export const CmmsConfig = Type.Object(
  {
    /** When work orders are created without anyone asking: never (manual), or on a ticket's opening or acknowledgement. */
    exportOn: Type.Optional(
      Type.Union([Type.Literal('manual'), Type.Literal('opened'), Type.Literal('acknowledged')]),
    ),
    mapping: Type.Optional(
      Type.Object(
        {
          /** Severity → the CMMS's priority (default critical 1, high 2, medium 3, low 4). */
          priority: Type.Optional(
            Type.Object(
              {
                critical: Type.Optional(PriorityValue),
                high: Type.Optional(PriorityValue),
                medium: Type.Optional(PriorityValue),
                low: Type.Optional(PriorityValue),
              },
              { additionalProperties: false },
            ),
          ),
          /** Fault → problem code (defaults like outer_race: BRG-OR, unbalance: VIB-UNB). */
          problemCodes: Type.Optional(CodeMap),
          /** The close-out's failure mode → the CMMS's failure code (default: the failure mode). */
          failureCodes: Type.Optional(CodeMap),
        },
        { additionalProperties: false },
      ),
    ),
    rest: Type.Optional(RestConnectorConfig),
    /** Which status changes update the ticket's work order, and the CMMS's word for each status. */
    sync: Type.Optional(
      Type.Object(
        {
          /** Default resolved, closed, false_positive, duplicate. */
          on: Type.Optional(Type.Array(SyncStatus, { uniqueItems: true })),
          /** Merged over the defaults (Maximo's: COMP, CLOSE, CAN, INPRG, APPR). */
          statusMap: Type.Optional(
            Type.Partial(
              Type.Object(
                Object.fromEntries(
                  SYNC_STATUSES.map((s) => [s, Type.String({ minLength: 1, maxLength: 64 })]),
                ),
                { additionalProperties: false },
              ),
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    /** Backoff of automatic exports while the CMMS fails (default 5s doubling to 10m). */
    retry: Type.Optional(Type.Object({ initial: Duration, max: Duration }, { additionalProperties: false })),
  },
  { additionalProperties: false },
);
export type CmmsConfig = Static<typeof CmmsConfig>;

export const DEFAULT_PRIORITIES: Record<Severity, number> = { critical: 1, high: 2, medium: 3, low: 4 };

/** ISO 14224-style codes: bearing (BRG), vibration (VIB), overheating (OHE), instrument (INS). */
export const DEFAULT_PROBLEM_CODES: Record<Fault, string> = {
  outer_race: 'BRG-OR',
  inner_race: 'BRG-IR',
  rolling_element: 'BRG-RE',
  cage: 'BRG-CG',
  unbalance: 'VIB-UNB',
  misalignment: 'VIB-MIS',
  looseness: 'VIB-LSE',
  overheating: 'OHE',
  threshold: 'VIB',
  sensor_fault: 'INS',
};

export const DEFAULT_SYNC_ON: readonly SyncStatus[] = ['resolved', 'closed', 'false_positive', 'duplicate'];

/** Maximo's work-order statuses. */
export const DEFAULT_STATUS_MAP: Record<SyncStatus, string> = {
  acknowledged: 'APPR',
  in_progress: 'INPRG',
  resolved: 'COMP',
  closed: 'CLOSE',
  false_positive: 'CAN',
  duplicate: 'CAN',
};

export interface RestUpdateSettings {
  method: 'PATCH' | 'PUT' | 'POST';
  /** `{id}` is replaced by the work order's id. */
  urlTemplate: string;
  /** undefined: send the update as it is. */
  fields?: Record<string, string>;
}

export interface RestConnectorSettings {
  url: string;
  headers: Record<string, string>;
  /** undefined: send the work order as it is. */
  fields?: Record<string, string>;
  idPath: string;
  linkTemplate?: string;
  timeoutMs: number;
  /** undefined: the connector cannot update work orders. */
  update?: RestUpdateSettings;
}

export interface SyncSettings {
  on: readonly SyncStatus[];
  statusMap: Record<SyncStatus, string>;
}

export interface CmmsSettings {
  exportOn: 'manual' | 'opened' | 'acknowledged';
  mapping: WorkOrderMapping;
  rest?: RestConnectorSettings;
  sync: SyncSettings;
  retry: BackoffPolicy;
}

function durationMs(field: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new Error(`${field}: ${(error as Error).message}`, { cause: error });
  }
}

/** Each mapped field names one of `known`, or is a `=literal`. */
function checkFields(
  path: string,
  fields: Record<string, string> | undefined,
  known: readonly string[],
  what: string,
): void {
  for (const [cmmsField, source] of Object.entries(fields ?? {})) {
    if (!source.startsWith('=') && !known.includes(source)) {
      throw new Error(
        `${path}.${cmmsField}: '${source}' is not ${what} (one of ${known.join(', ')}); write a literal as '=${source}'`,
      );
    }
  }
}

/** The config with its defaults filled in; throws `cmms.<field>: what to do` for what the schema cannot check. */
export function resolveCmmsSettings(config: CmmsConfig | undefined = {}): CmmsSettings {
  const exportOn = config.exportOn ?? 'manual';
  if (exportOn !== 'manual' && !config.rest) {
    throw new Error(
      `cmms.exportOn: '${exportOn}' needs a connector to export to; set cmms.rest (url, fields) or use exportOn: manual`,
    );
  }
  const rest = config.rest;
  checkFields('cmms.rest.fields', rest?.fields, WORK_ORDER_FIELDS, 'a work-order field');
  checkFields('cmms.rest.update.fields', rest?.update?.fields, WORK_ORDER_UPDATE_FIELDS, 'an update field');
  const update = rest?.update;
  return {
    exportOn,
    mapping: {
      priority: { ...DEFAULT_PRIORITIES, ...config.mapping?.priority },
      problemCodes: { ...DEFAULT_PROBLEM_CODES, ...config.mapping?.problemCodes },
      failureCodes: { ...config.mapping?.failureCodes },
    },
    ...(rest
      ? {
          rest: {
            url: rest.url,
            headers: rest.headers ?? {},
            ...(rest.fields ? { fields: rest.fields } : {}),
            idPath: rest.idPath ?? 'id',
            ...(rest.linkTemplate ? { linkTemplate: rest.linkTemplate } : {}),
            timeoutMs: durationMs('cmms.rest.timeout', rest.timeout ?? '10s'),
            ...(update
              ? {
                  update: {
                    method: update.method ?? 'PATCH',
                    urlTemplate: update.urlTemplate ?? `${rest.url.replace(/\/+$/, '')}/{id}`,
                    ...(update.fields ? { fields: update.fields } : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
    sync: {
      on: config.sync?.on ?? DEFAULT_SYNC_ON,
      statusMap: { ...DEFAULT_STATUS_MAP, ...config.sync?.statusMap },
    },
    retry: {
      initialMs: durationMs('cmms.retry.initial', config.retry?.initial ?? '5s'),
      maxMs: durationMs('cmms.retry.max', config.retry?.max ?? '10m'),
    },
  };
}
