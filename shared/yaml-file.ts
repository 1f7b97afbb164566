import { readFileSync } from 'node:fs';
import type { Static, TSchema } from '@sinclair/typebox';
import { isCollection, isMap, isScalar, LineCounter, parseDocument } from 'yaml';
import { SchemaError, validator } from './validation.js';

/** One problem in a file, printed as `file:line: field: message` like compilers and promtool do. */
export interface FileProblem {
  file: string;
  line: number;
  field: string;
  message: string;
}

export const formatProblem = (p: FileProblem): string =>
  `${p.file}:${p.line}: ${p.field ? `${p.field}: ` : ''}${p.message}`;

export class FileError extends Error {
  constructor(readonly problems: FileProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'FileError';
  }
}

/** `${NAME}` in a string value is replaced by the environment variable, so secrets stay out of files. */
function substituteEnv(value: unknown, missing: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, name: string) => {
      const v = process.env[name];
      if (v === undefined) missing.push(name);
      return v ?? '';
    });
  }
  if (Array.isArray(value)) return value.map((v) => substituteEnv(v, missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteEnv(v, missing)]));
  }
  return value;
}

export interface ParsedYaml<T> {
  value: T;
  /** Line of the node at a JSON-pointer-like path ('rules/0/id'), for later, semantic errors. */
  lineOf(path: string): number;
}

/** Parses YAML text and validates it, reporting every problem with the line it sits on. */
export function parseYaml<T extends TSchema>(
  text: string,
  file: string,
  schema: T,
  options: { env?: boolean } = {},
): ParsedYaml<Static<T>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new FileError(
      doc.errors.map((e) => ({
        file,
        line: lineCounter.linePos(e.pos[0]).line,
        field: '',
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }

  const lineOf = (path: string): number => {
    const segments = path.split('/').filter((s) => s !== '' && s !== '(root)');
    let node: unknown = doc.contents;
    let offset = (doc.contents as { range?: number[] } | null)?.range?.[0] ?? 0;
    for (const segment of segments) {
      if (!isCollection(node)) break;
      const key = isMap(node) ? segment : Number(segment);
      const next = node.get(key, true);
      if (next === undefined) {
        // A missing field belongs to the collection that should hold it.
        break;
      }
      node = next;
      const range = (node as { range?: number[] }).range;
      if (range) offset = range[0] ?? offset;
      if (isScalar(node)) break;
    }
    return lineCounter.linePos(offset).line;
  };

  const missing: string[] = [];
  const raw = doc.toJS();
  const value = options.env ? substituteEnv(raw, missing) : raw;
  if (missing.length > 0) {
    throw new FileError(
      missing.map((name) => ({
        file,
        line: 1,
        field: '',
        message: `environment variable ${name} is not set`,
      })),
    );
  }
  try {
    return { value: validator(schema, file)(value ?? {}), lineOf };
  } catch (error) {
    if (!(error instanceof SchemaError)) throw error;
    throw new FileError(
      error.problems.map((problem) => {
        const [field = '', ...rest] = problem.split(': ');
        return { file, line: lineOf(field), field, message: rest.join(': ') };
      }),
    );
  }
}

export function readYamlFile<T extends TSchema>(
  file: string,
  schema: T,
  options: { env?: boolean } = {},
): ParsedYaml<Static<T>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new FileError([{ file, line: 0, field: '', message: `cannot read: ${(error as Error).message}` }]);
  }
  return parseYaml(text, file, schema, options);
}
