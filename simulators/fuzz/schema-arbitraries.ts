import fc from 'fast-check';
import { hostileString, hostileValue } from './hostile-values.js';

/** The parts of a JSON schema (as @fastify/swagger prints the routes' TypeBox schemas) we generate from. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  format?: string;
}

/**
 * Values the caller knows the server holds (a ticket id, a username, the gateway's own id), so
 * that generated requests get past "not found" and "wrong gateway" to the code behind them.
 */
export type KnownValues = Record<string, readonly string[]>;

// URLs point at a closed loopback port: a webhook or CMMS the fuzzer registers must never reach out.
const LOOPBACK_URL = fc.constantFrom(
  'http://127.0.0.1:9/hook',
  'https://127.0.0.1:9/x?a=1',
  'http://[::1]:9/',
);

function stringFor(schema: JsonSchema, name: string, known: KnownValues): fc.Arbitrary<string> {
  const hints = known[name];
  const base = ((): fc.Arbitrary<string> => {
    if (schema.format === 'date-time') {
      return fc
        .date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString());
    }
    if (schema.format === 'uri' || /url$/i.test(name)) return LOOPBACK_URL;
    if (schema.pattern) {
      try {
        return fc
          .stringMatching(new RegExp(schema.pattern))
          .filter((s) => s.length >= (schema.minLength ?? 0) && s.length <= (schema.maxLength ?? 10_000));
      } catch {
        // a pattern fast-check cannot invert: plain text, the server's check still runs
      }
    }
    const minLength = schema.minLength ?? 0;
    return fc.string({ minLength, maxLength: Math.max(minLength, Math.min(schema.maxLength ?? 24, 24)) });
  })();
  return hints?.length ? fc.oneof({ arbitrary: fc.constantFrom(...hints), weight: 3 }, base) : base;
}

/** A value the schema accepts (mostly: patterns and formats are best effort). */
export function validValue(
  schema: JsonSchema,
  known: KnownValues = {},
  name = '',
  depth = 0,
): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const choices = schema.anyOf ?? schema.oneOf;
  if (choices?.length) return fc.oneof(...choices.map((s) => validValue(s, known, name, depth)));
  if (schema.allOf?.length)
    return validValue(Object.assign({}, ...schema.allOf) as JsonSchema, known, name, depth);
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  switch (type) {
    case 'string':
      return stringFor(schema, name, known);
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -1_000_000, max: schema.maximum ?? 1_000_000 });
    case 'number':
      return fc.double({
        min: schema.minimum ?? -1e6,
        max: schema.maximum ?? 1e6,
        noNaN: true,
        noDefaultInfinity: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const minLength = schema.minItems ?? 0;
      const maxLength = Math.min(schema.maxItems ?? minLength + 3, minLength + 3);
      if (depth > 6 || !schema.items) return fc.constant([]);
      return fc.array(validValue(schema.items, known, name, depth + 1), { minLength, maxLength });
    }
    case 'object':
    default: {
      if (!schema.properties || depth > 6) return fc.constant({});
      const required = schema.required ?? [];
      const fields = Object.fromEntries(
        Object.entries(schema.properties).map(([key, s]) => [key, validValue(s, known, key, depth + 1)]),
      );
      return fc.record(fields, { requiredKeys: required.filter((k) => k in fields) });
    }
  }
}

/** Every path to a field inside a value the schema describes: where the mutation lands. */
function fieldPaths(value: unknown, prefix: string[] = [], depth = 0): string[][] {
  if (depth > 6 || value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  return entries.flatMap(([key, v]) => [[...prefix, key], ...fieldPaths(v, [...prefix, key], depth + 1)]);
}

type Mutation = 'replace' | 'delete' | 'extra' | 'whole';

function mutate(value: unknown, path: string[] | undefined, how: Mutation, hostile: unknown): unknown {
  if (how === 'whole' || !path) return hostile;
  const copy = structuredClone(value) as Record<string, unknown>;
  let parent: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string, unknown>;
  const last = path[path.length - 1]!;
  if (how === 'delete') delete parent[last];
  else if (how === 'extra') {
    // an extra field beside the chosen one; `__proto__` as an own key, the way JSON.parse makes it
    Object.defineProperty(
      parent,
      typeof hostile === 'string' && hostile.length < 40 ? hostile || 'x' : 'extra',
      {
        value: hostile,
        enumerable: true,
        configurable: true,
        writable: true,
      },
    );
  } else parent[last] = hostile;
  return copy;
}

/**
 * A value of the schema with one field broken: a wrong type, missing, an extra neighbour, or the
 * whole value replaced; one in five is left valid so the happy paths are walked too.
 */
export function hostileFor(schema: JsonSchema, known: KnownValues = {}): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      validValue(schema, known),
      fc.constantFrom<Mutation | 'none'>('none', 'replace', 'replace', 'delete', 'extra', 'whole'),
      fc.nat(),
      hostileValue,
    )
    .map(([value, how, pick, hostile]) => {
      if (how === 'none') return value;
      const paths = fieldPaths(value);
      return mutate(value, paths.length ? paths[pick % paths.length] : undefined, how, hostile);
    });
}

/** A path or query parameter's text: mostly what its schema wants, often hostile. */
export function parameterText(schema: JsonSchema, name: string, known: KnownValues): fc.Arbitrary<string> {
  return fc.oneof(
    {
      arbitrary: validValue(schema, known, name).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))),
      weight: 2,
    },
    { arbitrary: hostileString, weight: 2 },
  );
}
