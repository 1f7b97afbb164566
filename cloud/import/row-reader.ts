import { closestTo } from './closest.js';
import { REPLACEMENT } from './decode.js';
import { parseImportDate } from './dates.js';
import type { ImportProblem, RawRow } from './import-types.js';

/** `asset_id`, `assetId`, `Asset ID` are one column. */
export const columnKey = (column: string): string => column.toLowerCase().replace(/[^a-z0-9]/g, '');

/** `Group 2 Rigid`, `group2_rigid` and `group2-rigid` name the same enum value. */
const enumKey = (value: string): string => value.toLowerCase().replace(/[\s_-]+/g, '');

export interface ColumnMap {
  /** The file's column name → the field it fills. */
  fieldOf: Map<string, string>;
  problems: ImportProblem[];
}

/**
 * Matches the file's columns to the fields, ignoring case, spaces and punctuation; an unknown
 * column is a problem with the nearest field name, a second column for the same field too.
 */
export function mapColumns(
  columns: ReadonlyMap<string, number>,
  fields: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): ColumnMap {
  const byKey = new Map<string, string>(fields.map((f) => [columnKey(f), f]));
  for (const [alias, field] of Object.entries(aliases)) byKey.set(columnKey(alias), field);
  const fieldOf = new Map<string, string>();
  const takenBy = new Map<string, string>();
  const problems: ImportProblem[] = [];
  for (const [column, row] of columns) {
    const field = byKey.get(columnKey(column));
    if (!field) {
      const suggestion = closestTo(column, fields);
      problems.push({
        row,
        field: column,
        message: `unknown column "${column}"${suggestion ? `; did you mean "${suggestion}"?` : ''} (known: ${fields.join(', ')})`,
        ...(suggestion ? { suggestion } : {}),
      });
    } else if (takenBy.has(field)) {
      problems.push({
        row,
        field: column,
        message: `column "${column}" repeats "${takenBy.get(field)}" (${field})`,
      });
    } else {
      takenBy.set(field, column);
      fieldOf.set(column, field);
    }
  }
  return { fieldOf, problems };
}

/** Reads one row's cells into typed values, collecting a problem per bad field. */
export class RowReader {
  readonly problems: ImportProblem[] = [];
  private readonly values = new Map<string, unknown>();

  constructor(
    readonly row: number,
    raw: RawRow['cells'],
    fieldOf: ReadonlyMap<string, string>,
    private readonly encoding: string,
  ) {
    for (const [column, value] of Object.entries(raw)) {
      const field = fieldOf.get(column);
      if (field === undefined || value === null || value === undefined) continue;
      if (typeof value === 'string' && value.trim() === '') continue;
      this.values.set(field, typeof value === 'string' ? value.trim() : value);
    }
  }

  problem(field: string, message: string, value?: unknown, suggestion?: string): undefined {
    this.problems.push({
      row: this.row,
      field,
      ...(value !== undefined ? { value: typeof value === 'string' ? value : JSON.stringify(value) } : {}),
      message,
      ...(suggestion !== undefined ? { suggestion } : {}),
    });
    return undefined;
  }

  /** The raw value as text; a problem when absent but required, or when its bytes did not decode. */
  private raw(field: string, required: boolean): string | undefined {
    const value = this.values.get(field);
    if (value === undefined) return required ? this.problem(field, `${field} is required`) : undefined;
    if (typeof value === 'object')
      return this.problem(field, `${field} must be text, not ${JSON.stringify(value)}`);
    const text = String(value);
    if (text.includes(REPLACEMENT)) {
      return this.problem(
        field,
        `bytes not valid in ${this.encoding}: save the file as UTF-8, or give the right --encoding`,
        text,
      );
    }
    return text;
  }

  text(
    field: string,
    opts: { required?: boolean; max?: number; min?: number; pattern?: RegExp; hint?: string } = {},
  ) {
    const text = this.raw(field, opts.required ?? false);
    if (text === undefined) return undefined;
    if (opts.max !== undefined && text.length > opts.max)
      return this.problem(field, `${field} is longer than ${opts.max} characters`, text);
    if (opts.min !== undefined && text.length < opts.min)
      return this.problem(field, `${field} needs at least ${opts.min} characters`, text);
    if (opts.pattern && !opts.pattern.test(text))
      return this.problem(field, `${field} ${opts.hint ?? `must match ${opts.pattern.source}`}`, text);
    return text;
  }

  oneOf<T extends string>(
    field: string,
    allowed: readonly T[],
    opts: { required?: boolean } = {},
  ): T | undefined {
    const text = this.raw(field, opts.required ?? false);
    if (text === undefined) return undefined;
    const found = allowed.find((a) => enumKey(a) === enumKey(text));
    if (found) return found;
    const suggestion = closestTo(text, allowed);
    return this.problem(
      field,
      `unknown ${field} "${text}"; ${suggestion ? `did you mean "${suggestion}"?` : `expected one of ${allowed.join(', ')}`}`,
      text,
      suggestion,
    );
  }

  number(field: string, opts: { above: number; max: number }): number | undefined {
    const value = this.values.get(field);
    if (value === undefined) return undefined;
    let n: number;
    if (typeof value === 'number') n = value;
    else {
      const text = this.raw(field, false);
      if (text === undefined) return undefined;
      if (/^[+-]?\d+,\d+$/.test(text)) {
        const fixed = text.replace(',', '.');
        return this.problem(
          field,
          `${field} must be a number with a decimal point: write ${fixed}`,
          text,
          fixed,
        );
      }
      n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : NaN;
      if (Number.isNaN(n)) return this.problem(field, `${field} must be a number (got "${text}")`, text);
    }
    if (!(n > opts.above && n <= opts.max))
      return this.problem(field, `${field} must be above ${opts.above} and at most ${opts.max}`, String(n));
    return n;
  }

  date(field: string, zone: string, opts: { required?: boolean } = {}): string | undefined {
    const text = this.raw(field, opts.required ?? false);
    if (text === undefined) return undefined;
    const parsed = parseImportDate(text, zone);
    return 'iso' in parsed ? parsed.iso : this.problem(field, parsed.problem, text);
  }

  /** A list: a JSON array, or in CSV one cell with items separated by `;` or `|`. */
  list(field: string, item: RegExp, hint: string): string[] | undefined {
    const value = this.values.get(field);
    if (value === undefined) return undefined;
    let items: unknown[];
    if (Array.isArray(value)) items = value;
    else {
      const text = this.raw(field, false);
      if (text === undefined) return undefined;
      items = text
        .split(/[;|]/)
        .map((s) => s.trim())
        .filter(Boolean);
    }
    const bad = items.find((i) => typeof i !== 'string' || !item.test(i));
    if (bad !== undefined) return this.problem(field, `${field}: "${String(bad)}" ${hint}`, value);
    return [...new Set(items as string[])];
  }
}

/** Rows that repeat a key: a problem on each later row naming the first. */
export function duplicateProblems<R>(
  records: readonly { row: number; record: R }[],
  field: string,
  key: (record: R) => string,
): ImportProblem[] {
  const first = new Map<string, number>();
  const problems: ImportProblem[] = [];
  for (const { row, record } of records) {
    const k = key(record);
    const seen = first.get(k);
    if (seen === undefined) first.set(k, row);
    else problems.push({ row, field, value: k, message: `duplicate ${field} "${k}": also on row ${seen}` });
  }
  return problems;
}
