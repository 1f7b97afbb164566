import { type Static, Type } from '@sinclair/typebox';
import type { BackoffPolicy } from '../../shared/backoff.js';
import { Duration, durationMs as parseDuration } from '../../shared/duration.js';
import type { Fault, Severity } from '../../shared/schema/index.js';
import { WORK_ORDER_FIELDS, type WorkOrderMapping } from './work-order.js';

const CodeMap = Type.Record(Type.String(), Type.String({ minLength: 1, maxLength: 64 }));

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
    fields: Type.Optional(Type.Record(Type.String(), Type.String({ minLength: 1 }))),
    /** Dotted path of the created work order's id in the JSON reply (default `id`). */
    idPath: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$' })),
    /** The work order's page in the CMMS, `{id}` replaced by its id. */
    linkTemplate: Type.Optional(Type.String({ pattern: '^https?://' })),
    timeout: Type.Optional(Duration),
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

export interface RestConnectorSettings {
  url: string;
  headers: Record<string, string>;
  /** undefined: send the work order as it is. */
  fields?: Record<string, string>;
  idPath: string;
  linkTemplate?: string;
  timeoutMs: number;
}

export interface CmmsSettings {
  exportOn: 'manual' | 'opened' | 'acknowledged';
  mapping: WorkOrderMapping;
  rest?: RestConnectorSettings;
  retry: BackoffPolicy;
}

function durationMs(field: string, value: string): number {
  try {
    return parseDuration(value);
  } catch (error) {
    throw new Error(`${field}: ${(error as Error).message}`, { cause: error });
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
  if (rest?.fields) {
    for (const [cmmsField, source] of Object.entries(rest.fields)) {
      if (!source.startsWith('=') && !(WORK_ORDER_FIELDS as readonly string[]).includes(source)) {
        throw new Error(
          `cmms.rest.fields.${cmmsField}: '${source}' is not a work-order field (one of ${WORK_ORDER_FIELDS.join(', ')}); write a literal as '=${source}'`,
        );
      }
    }
  }
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
          },
        }
      : {}),
    retry: {
      initialMs: durationMs('cmms.retry.initial', config.retry?.initial ?? '5s'),
      maxMs: durationMs('cmms.retry.max', config.retry?.max ?? '10m'),
    },
  };
}
