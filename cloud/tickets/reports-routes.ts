import { type Static, Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, onRequestHookHandler } from 'fastify';
import { ErrorReply, MaintenanceReport, ReportBucket, ReportTable } from '../../shared/schema/index.js';
import { visibleSites } from '../access/access-store.js';
import { currentUser } from '../access/user-auth.js';
import type { Clock } from '../clock.js';
import { sendHttpError } from '../http-errors.js';
import type { SqlDatabase } from '../store/sql-database.js';
import { bucketBounds, MAX_BUCKETS, maintenanceReport } from './maintenance-report.js';
import { maintenanceReportCsv, maintenanceReportFileName } from './maintenance-report-csv.js';
import { readReportHistory } from './maintenance-report-store.js';

const DAY_MS = 86_400_000;
export const DEFAULT_REPORT_DAYS = 90;

const rangeFields = {
  from: Type.Optional(
    Type.String({
      maxLength: 40,
      description: `start (a date: from its start; default ${DEFAULT_REPORT_DAYS} days before to)`,
    }),
  ),
  to: Type.Optional(
    Type.String({ maxLength: 40, description: 'end, exclusive (a date: up to its end; default now)' }),
  ),
  site: Type.Optional(Type.String({ maxLength: 64 })),
  bucket: Type.Optional(
    Type.Union(ReportBucket.anyOf, { default: 'week', description: 'day, week (from Monday) or month; UTC' }),
  ),
};
const ReportQuery = Type.Object(rangeFields, { additionalProperties: false });
type ReportQuery = Static<typeof ReportQuery>;
const ReportCsvQuery = Type.Object(
  {
    ...rangeFields,
    table: Type.Optional(
      Type.Union(ReportTable.anyOf, {
        default: 'summary',
        description: 'summary, open (site × severity), buckets or assets: one table per file',
      }),
    ),
  },
  { additionalProperties: false },
);
type ReportCsvQuery = Static<typeof ReportCsvQuery>;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

/** Epoch ms of a query bound, NaN unless a real day (Date.parse takes 2026-02-31) or date-time. */
function boundMs(value: string, end: boolean): number {
  if (!DATE.test(value.slice(0, 10)) || !(DATE.test(value) || DATE_TIME.test(value))) return NaN;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return NaN;
  if (DATE.test(value)) return calendar.getTime() + (end ? DAY_MS : 0);
  return Date.parse(value);
}

type ReportRangeOrError =
  { fromMs: number; toMs: number } | { code: 'PW_BAD_DATE' | 'PW_BAD_RANGE'; field: string; message: string };

/** The range asked for, or which field is wrong and how to write it. */
function reportRange(query: ReportQuery, nowMs: number): ReportRangeOrError {
  const notADate = (field: 'from' | 'to', value: string | undefined): ReportRangeOrError => ({
    code: 'PW_BAD_DATE',
    field,
    message: `'${value}' is not a date; write 2026-01-31 or 2026-01-31T08:00:00Z`,
  });
  const toMs = query.to === undefined ? nowMs : boundMs(query.to, true);
  if (Number.isNaN(toMs)) return notADate('to', query.to);
  const fromMs = query.from === undefined ? toMs - DEFAULT_REPORT_DAYS * DAY_MS : boundMs(query.from, false);
  if (Number.isNaN(fromMs)) return notADate('from', query.from);
  if (fromMs >= toMs) {
    return {
      code: 'PW_BAD_RANGE',
      field: 'to',
      message: `the range must end after it starts (from ${new Date(fromMs).toISOString()}, to ${new Date(toMs).toISOString()}${query.to === undefined ? ', which defaults to now' : ''})`,
    };
  }
  return { fromMs, toMs };
}

export interface ReportsRoutesOptions {
  database: SqlDatabase;
  clock: Clock;
  authenticateUser: onRequestHookHandler;
}

/** The manager's report: backlog, response times, rule precision over a range; JSON or one CSV table. */
export const reportsRoutes: FastifyPluginAsync<ReportsRoutesOptions> = async (
  app,
  { database, clock, authenticateUser },
) => {
  app.addHook('onRequest', authenticateUser);
  const security = [{ userToken: [] }];

  /** The report for a request, or undefined once a 400 naming the field has been sent. */
  const report = async (
    query: ReportQuery,
    sites: readonly string[] | undefined,
    reply: FastifyReply,
  ): Promise<MaintenanceReport | undefined> => {
    const nowMs = clock.now();
    const range = reportRange(query, nowMs);
    if ('field' in range) {
      await sendHttpError(reply, range.code, `querystring/${range.field}: ${range.message}`);
      return undefined;
    }
    const bucket = query.bucket ?? 'week';
    const buckets = bucketBounds(range.fromMs, range.toMs, bucket).length;
    if (buckets > MAX_BUCKETS) {
      await sendHttpError(
        reply,
        'PW_BAD_RANGE',
        `querystring/bucket: the range holds more than ${MAX_BUCKETS} ${bucket}s; choose a longer bucket (week, month) or a shorter range`,
      );
      return undefined;
    }
    const history = await readReportHistory(database, {
      fromMs: range.fromMs,
      toMs: range.toMs,
      ...(sites ? { sites } : {}),
      ...(query.site !== undefined ? { site: query.site } : {}),
    });
    return maintenanceReport(
      { ...range, nowMs, bucket, ...(query.site !== undefined ? { site: query.site } : {}) },
      history.tickets,
      history.moves,
    );
  };

  app.get<{ Querystring: ReportQuery }>(
    '/api/v1/reports/maintenance',
    {
      schema: {
        summary:
          'Open tickets, overdue, time to acknowledge and repair, precision, backlog and top assets over a range',
        description:
          'Any signed-in user; only the sites the user may see. Defaults: the last 90 days by week. `to` is exclusive; a date as `to` includes that day.',
        tags: ['reports'],
        security,
        querystring: ReportQuery,
        response: { 200: MaintenanceReport, 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (request, reply) =>
      (await report(request.query, visibleSites(currentUser(request)), reply)) ?? reply,
  );

  app.get<{ Querystring: ReportCsvQuery }>(
    '/api/v1/reports/maintenance.csv',
    {
      schema: {
        summary: 'One table of the maintenance report as RFC 4180 CSV',
        description:
          'The same query as /api/v1/reports/maintenance, plus `table`: summary (metric,value), open (site × severity), buckets, assets. Numbers unformatted (durations in ms, precision as a fraction); an empty cell where there is no value.',
        tags: ['reports'],
        security,
        querystring: ReportCsvQuery,
        produces: ['text/csv'],
        response: { 400: ErrorReply, 401: ErrorReply },
      },
    },
    async (request, reply) => {
      const { table = 'summary', ...query } = request.query;
      const result = await report(query, visibleSites(currentUser(request)), reply);
      if (!result) return reply;
      return reply
        .type('text/csv; charset=utf-8')
        .header('content-disposition', `attachment; filename="${maintenanceReportFileName(result, table)}"`)
        .send(maintenanceReportCsv(result, table));
    },
  );
};
