import { parse } from 'csv-parse/sync';
import type { ImportProblem, RawRow } from './import-types.js';

export interface ReadRows {
  format: 'csv' | 'json';
  rows: RawRow[];
  /** Each column name as the file writes it, with the row it first appears on (CSV: the header, 1). */
  columns: Map<string, number>;
  problems: ImportProblem[];
}

/** A JSON array of objects (first character `[`), else CSV with a header line. */
export function readRows(text: string): ReadRows {
  return text.trimStart().startsWith('[') ? readJson(text) : readCsv(text);
}

function readJson(text: string): ReadRows {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    const message = `not valid JSON: ${(error as Error).message}`;
    return { format: 'json', rows: [], columns: new Map(), problems: [{ row: 0, field: '(file)', message }] };
  }
  const rows: RawRow[] = [];
  const problems: ImportProblem[] = [];
  if (!Array.isArray(parsed)) {
    problems.push({ row: 0, field: '(file)', message: 'expected a JSON array of objects, one per row' });
    return { format: 'json', rows, columns: new Map(), problems };
  }
  parsed.forEach((item, i) => {
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      rows.push({ row: i + 1, cells: item as Record<string, unknown> });
    } else {
      problems.push({ row: i + 1, field: '(row)', message: 'expected an object with one key per field' });
    }
  });
  const columns = new Map<string, number>();
  for (const { row, cells } of rows)
    for (const key of Object.keys(cells)) if (!columns.has(key)) columns.set(key, row);
  return { format: 'json', rows, columns, problems };
}

/** Spreadsheets in much of Europe save CSV with `;`; the header line tells which one this file uses. */
function delimiterOf(text: string): string {
  const header = text.slice(0, text.indexOf('\n') === -1 ? undefined : text.indexOf('\n'));
  const count = (c: string) => header.split(c).length - 1;
  return [';', '\t'].find((c) => count(c) > count(',')) ?? ',';
}

function readCsv(text: string): ReadRows {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, {
      delimiter: delimiterOf(text),
      info: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
    }) as unknown as typeof records;
  } catch (error) {
    const e = error as Error & { lines?: number };
    return {
      format: 'csv',
      rows: [],
      columns: new Map(),
      problems: [{ row: e.lines ?? 0, field: '(file)', message: `not valid CSV: ${e.message}` }],
    };
  }
  const [header, ...data] = records;
  if (!header) return { format: 'csv', rows: [], columns: new Map(), problems: [] };
  const problems: ImportProblem[] = [];
  const rows = data.map(({ record, info }) => {
    if (record.length > header.record.length) {
      problems.push({
        row: info.lines,
        field: '(row)',
        message: `${record.length} cells but the header has ${header.record.length} columns: quote cells that contain the delimiter`,
      });
    }
    const cells: Record<string, unknown> = {};
    header.record.forEach((column, i) => {
      const cell = record[i];
      if (cell !== undefined && cell !== '') cells[column] = cell;
    });
    return { row: info.lines, cells };
  });
  return { format: 'csv', rows, columns: new Map(header.record.map((c) => [c, 1])), problems };
}
