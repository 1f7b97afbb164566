import { stringify } from 'csv-stringify/sync';
import type { DurationStats, MaintenanceReport, ReportTable } from '../../shared/schema/index.js';

type Cell = string | number | undefined;

const SEVERITY_COLUMNS = ['critical', 'high', 'medium', 'low'] as const;

/** One table of the report as a header and rows; numbers stay numbers (milliseconds, fractions). */
function table(report: MaintenanceReport, name: ReportTable): { header: string[]; rows: Cell[][] } {
  switch (name) {
    case 'summary': {
      const duration = (label: string, stats: DurationStats): Cell[][] => [
        [`${label}_tickets`, stats.count],
        [`${label}_mean_ms`, stats.meanMs],
        [`${label}_median_ms`, stats.medianMs],
      ];
      return {
        header: ['metric', 'value'],
        rows: [
          ['from', report.from],
          ['to', report.to],
          ['as_of', report.asOf],
          ['site', report.site ?? 'all'],
          ['open', report.open],
          ['overdue', report.overdue],
          ...duration('acknowledge', report.acknowledge),
          ...duration('repair', report.repair),
          ['confirmed', report.judgement.confirmed],
          ['false_positives', report.judgement.falsePositives],
          ['precision', report.judgement.precision],
          ['median_lead_time_ms', report.judgement.medianLeadTimeMs],
          ['lead_time_samples', report.judgement.leadTimeSamples],
        ],
      };
    }
    case 'open':
      return {
        header: ['site', ...SEVERITY_COLUMNS, 'total'],
        rows: report.openBySite.map((s) => [s.site, ...SEVERITY_COLUMNS.map((c) => s[c]), s.total]),
      };
    case 'buckets':
      return {
        header: [
          'start',
          'end',
          'opened',
          'backlog',
          'confirmed',
          'false_positives',
          'precision',
          'median_lead_time_ms',
          'lead_time_samples',
        ],
        rows: report.buckets.map((b) => [
          b.start,
          b.end,
          b.opened,
          b.backlog,
          b.confirmed,
          b.falsePositives,
          b.precision,
          b.medianLeadTimeMs,
          b.leadTimeSamples,
        ]),
      };
    case 'assets':
      return {
        header: ['asset_id', 'site', 'tickets', 'open'],
        rows: report.topAssets.map((a) => [a.assetId, a.site, a.tickets, a.open]),
      };
  }
}

/**
 * One table as RFC 4180 CSV (CRLF rows; a field with a comma, quote or line break quoted, quotes
 * doubled): one table per file, so a spreadsheet opens it as a sheet without splitting sections.
 * A missing value (no precision before any judgement) is an empty cell.
 */
export function maintenanceReportCsv(report: MaintenanceReport, name: ReportTable): string {
  const { header, rows } = table(report, name);
  const records = rows.map((row) => row.map((cell) => (cell === undefined ? '' : String(cell))));
  return stringify([header, ...records], { record_delimiter: 'windows' });
}

/** `plantwatch-maintenance-buckets-2026-09-04-2026-12-03.csv`: the table and the range's days. */
export const maintenanceReportFileName = (report: MaintenanceReport, name: ReportTable): string =>
  `plantwatch-maintenance-${name}-${report.from.slice(0, 10)}-${report.to.slice(0, 10)}.csv`;
