import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv, type Options as AjvOptions, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats ships CommonJS; under NodeNext its default export is the module object.
const addFormats = addFormatsModule as unknown as (ajv: Ajv, options: { mode: 'fast' | 'full' }) => Ajv;

/**
 * The one Ajv configuration for every message crossing a boundary. strictNumbers rejects NaN and
 * Infinity (JSON.parse turns 1e999 into Infinity), which would otherwise poison every average downstream.
 */
export const AJV_OPTIONS = {
  allErrors: true,
  strict: true,
  strictNumbers: true,
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
} as const;

/**
 * An Ajv with our options and the standard formats; fastify uses these too, so HTTP and MQTT agree.
 * `fast` formats check a date-time's shape but not its calendar (2026-02-30 passes): for hot paths.
 */
export const createAjv = (overrides: AjvOptions = {}, formats: 'fast' | 'full' = 'full'): Ajv =>
  addFormats(new Ajv({ ...AJV_OPTIONS, ...overrides }), { mode: formats });

// verbose: errors carry the schema and the value, so a pattern error can say what was expected and what came.
const ajv = createAjv({ verbose: true });

/** Invalid input, with one line per problem in the form `field: message`. */
export class SchemaError extends Error {
  constructor(
    readonly what: string,
    readonly problems: string[],
  ) {
    super(`invalid ${what}: ${problems.join('; ')}`);
    this.name = 'SchemaError';
  }
}

/** `samples/3: must be number` — the JSON pointer without its leading slash names the field. */
export function describeAjvError(error: ErrorObject): string {
  const field = error.instancePath.replace(/^\//, '') || '(root)';
  if (error.keyword === 'additionalProperties') {
    return `${field}: unknown field '${String(error.params.additionalProperty)}'`;
  }
  if (error.keyword === 'required') {
    const missing = String(error.params.missingProperty);
    return `${field === '(root)' ? missing : `${field}/${missing}`}: is required`;
  }
  if (error.keyword === 'enum' || error.keyword === 'const') {
    return `${field}: ${error.message} (${JSON.stringify(error.params.allowedValues ?? error.params.allowedValue)})`;
  }
  // A regular expression tells a user little; the schema's description says what is expected.
  const description = (error.parentSchema as { description?: string } | undefined)?.description;
  if (error.keyword === 'pattern' && description) {
    return `${field}: must be a ${description} (got ${JSON.stringify(error.data)})`;
  }
  return `${field}: ${error.message ?? 'is invalid'}`;
}

/** Unions report one error per branch; keep the most specific ones so the message stays readable. */
function summarise(errors: ErrorObject[]): string[] {
  const specific = errors.filter((e) => e.keyword !== 'anyOf' && e.keyword !== 'const');
  const literalBranches = errors.filter((e) => e.keyword === 'const');
  const lines = specific.map(describeAjvError);
  if (literalBranches.length > 0) {
    const byField = new Map<string, unknown[]>();
    for (const e of literalBranches) {
      const list = byField.get(e.instancePath) ?? [];
      list.push(e.params.allowedValue);
      byField.set(e.instancePath, list);
    }
    for (const [path, allowed] of byField) {
      lines.push(
        `${path.replace(/^\//, '') || '(root)'}: must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`,
      );
    }
  }
  return [...new Set(lines)].slice(0, 10);
}

export type Validator<T extends TSchema> = (value: unknown) => Static<T>;

/** Compiles once; the returned function returns the value typed, or throws SchemaError naming each bad field. */
export function validator<T extends TSchema>(schema: T, what: string): Validator<T> {
  const check = ajv.compile(schema);
  return (value: unknown) => {
    if (check(value)) return value as Static<T>;
    throw new SchemaError(what, summarise(check.errors ?? []));
  };
}
