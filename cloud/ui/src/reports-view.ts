import { api, errorMessage, isAbort, query } from './api.js';
import { alertBox, type Child, field, h, replaceChildren } from './dom.js';
import { downloadWithSession } from './download.js';
import { formatDuration, formatPercent, formatTime } from './format.js';
import { bucketFigure } from './report-chart.js';
import { hrefs, replaceQuery } from './router.js';
import type { DurationStats, MaintenanceReport, ReportBucket, ReportTable, Severity } from './types.js';
import type { View } from './view.js';

/** The report's range as it stands in the URL (`#/reports?from=2026-01-05&to=2026-01-25&bucket=week`). */
interface ReportParams {
  /** A date; empty: the server's default, 90 days before `to`. */
  from: string;
  /** A date, included; empty: now. */
  to: string;
  site: string;
  bucket: ReportBucket;
}

const BUCKETS: ReportBucket[] = ['day', 'week', 'month'];
const BUCKET_HEADINGS: Record<ReportBucket, string> = { day: 'Day', week: 'Week of', month: 'Month' };
const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];
const SEVERITY_LABELS: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
};
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function readParams(search: URLSearchParams): ReportParams {
  const date = (key: string) => {
    const value = search.get(key) ?? '';
    return DATE.test(value) ? value : '';
  };
  const bucket = search.get('bucket') as ReportBucket | null;
  return {
    from: date('from'),
    to: date('to'),
    site: search.get('site') ?? '',
    bucket: bucket && BUCKETS.includes(bucket) ? bucket : 'week',
  };
}

const apiParams = (p: ReportParams) => ({
  from: p.from || undefined,
  to: p.to || undefined,
  site: p.site.trim() || undefined,
  bucket: p.bucket,
});

/** The UTC day of an instant, and the last day a range ending (exclusive) at `iso` includes. */
const day = (iso: string) => iso.slice(0, 10);
const lastDay = (iso: string) => day(new Date(Date.parse(iso) - 1).toISOString());

const bucketLabel = (iso: string, bucket: ReportBucket) => (bucket === 'month' ? iso.slice(0, 7) : day(iso));

const num = (value: number | string): HTMLTableCellElement => h('td', { class: 'num' }, String(value));
const numHead = (label: string): HTMLTableCellElement => h('th', { scope: 'col', class: 'num' }, label);

function tile(kpi: string, label: string, value: string, detail?: string): HTMLElement {
  return h(
    'div',
    { class: 'report-tile', 'data-kpi': kpi },
    h('span', { class: 'report-tile-label' }, label),
    h('strong', { class: 'report-tile-value' }, value),
    detail ? h('span', { class: 'report-tile-detail' }, detail) : null,
  );
}

const durationTile = (kpi: string, label: string, stats: DurationStats) =>
  stats.meanMs === undefined || stats.medianMs === undefined
    ? tile(kpi, label, '–', 'no ticket yet')
    : tile(
        kpi,
        label,
        formatDuration(stats.meanMs),
        `mean of ${stats.count}; median ${formatDuration(stats.medianMs)}`,
      );

function tiles(report: MaintenanceReport): HTMLElement {
  const { judgement } = report;
  const judged = judgement.confirmed + judgement.falsePositives;
  return h(
    'div',
    { class: 'report-tiles' },
    tile('open', 'Open', String(report.open), `at ${formatTime(report.asOf)}`),
    tile('overdue', 'Overdue', String(report.overdue), 'open past their due date'),
    durationTile('mtta', 'Time to acknowledge', report.acknowledge),
    durationTile('mttr', 'Time to repair', report.repair),
    tile(
      'precision',
      'Precision',
      judgement.precision === undefined ? '–' : formatPercent(judgement.precision),
      judged ? `${judgement.confirmed} confirmed of ${judged} judged` : 'nothing judged yet',
    ),
  );
}

/** A table, or the sentence that stands in for it: no headers over nothing. */
function tableOrEmpty(
  caption: string,
  head: HTMLTableCellElement[],
  rows: HTMLTableRowElement[],
  empty: string,
  className: string,
): HTMLElement {
  if (rows.length === 0) return h('p', { class: 'empty' }, empty);
  return h(
    'div',
    { class: 'table-scroll' },
    h(
      'table',
      { class: `report-table ${className}` },
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', {}, h('tr', {}, ...head)),
      h('tbody', {}, ...rows),
    ),
  );
}

function openTable(report: MaintenanceReport): HTMLElement {
  const rows = report.openBySite.map((s) =>
    h(
      'tr',
      { 'data-site': s.site },
      h('th', { scope: 'row' }, s.site),
      ...SEVERITIES.map((severity) => num(s[severity])),
      num(s.total),
    ),
  );
  if (rows.length > 1) {
    rows.push(
      h(
        'tr',
        { class: 'report-total' },
        h('th', { scope: 'row' }, 'All sites'),
        ...SEVERITIES.map((severity) => num(report.openBySeverity[severity])),
        num(report.open),
      ),
    );
  }
  return tableOrEmpty(
    'Open tickets by site and severity',
    [
      h('th', { scope: 'col' }, 'Site'),
      ...SEVERITIES.map((s) => numHead(SEVERITY_LABELS[s])),
      numHead('Total'),
    ],
    rows,
    `No ticket was open at ${formatTime(report.asOf)}.`,
    'report-open',
  );
}

function bucketTable(report: MaintenanceReport): HTMLElement {
  const rows = report.buckets.map((b) =>
    h(
      'tr',
      { 'data-start': b.start },
      h('th', { scope: 'row' }, bucketLabel(b.start, report.bucket)),
      num(b.opened),
      num(b.backlog),
      num(b.confirmed),
      num(b.falsePositives),
      num(b.precision === undefined ? '–' : formatPercent(b.precision)),
      num(b.medianLeadTimeMs === undefined ? '–' : formatDuration(b.medianLeadTimeMs)),
    ),
  );
  return tableOrEmpty(
    `Per ${report.bucket}: tickets opened, backlog at the end, precision and lead time`,
    [
      h('th', { scope: 'col' }, BUCKET_HEADINGS[report.bucket]),
      numHead('Opened'),
      numHead('Backlog at end'),
      numHead('Confirmed'),
      numHead('False positives'),
      numHead('Precision'),
      numHead('Median lead time'),
    ],
    rows,
    'The range holds no complete bucket.',
    'report-buckets',
  );
}

function assetTable(report: MaintenanceReport): HTMLElement {
  const rows = report.topAssets.map((a) =>
    h(
      'tr',
      { 'data-asset': a.assetId },
      h('th', { scope: 'row' }, h('a', { href: hrefs.asset(a.assetId) }, a.assetId)),
      h('td', {}, a.site),
      num(a.tickets),
      num(a.open),
    ),
  );
  return tableOrEmpty(
    'Assets with the most tickets opened in the range',
    [
      h('th', { scope: 'col' }, 'Asset'),
      h('th', { scope: 'col' }, 'Site'),
      numHead('Tickets'),
      numHead('Open'),
    ],
    rows,
    'No ticket was opened in this range.',
    'report-assets',
  );
}

/**
 * The manager's view: how much is open and overdue, how fast tickets are taken up and repaired,
 * whether the rules' alarms are worth it, and where the tickets come from, over a range. Every
 * table downloads as CSV for the monthly report.
 */
export const reportsView: View = (root, route, ctx) => {
  ctx.setTitle('Reports');
  let params = readParams(route.query);
  let load: AbortController | undefined;

  const from = h('input', { id: 'report-from', name: 'from', type: 'date' });
  const to = h('input', { id: 'report-to', name: 'to', type: 'date' });
  const site = h('input', {
    id: 'report-site',
    name: 'site',
    maxlength: 64,
    autocomplete: 'off',
    placeholder: 'all your sites',
  });
  const bucket = h(
    'select',
    { id: 'report-bucket', name: 'bucket' },
    ...BUCKETS.map((b) => h('option', { value: b }, b === 'day' ? 'Day' : b === 'week' ? 'Week' : 'Month')),
  );
  const showParams = () => {
    from.value = params.from;
    to.value = params.to;
    site.value = params.site;
    bucket.value = params.bucket;
  };
  showParams();

  const error = alertBox('error');
  const body = h('div', { class: 'report-body', 'aria-live': 'polite', 'aria-busy': 'true' });
  const form = h(
    'form',
    { class: 'filters report-form', role: 'search', 'aria-label': 'Report range' },
    field('From', from),
    field('To (included)', to),
    field('Site', site),
    field('Per', bucket),
    h('button', { type: 'submit' }, 'Show'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    params = {
      from: from.value,
      to: to.value,
      site: site.value.trim(),
      bucket: bucket.value as ReportBucket,
    };
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) {
      if (value && !(key === 'bucket' && value === 'week')) search.set(key, value);
    }
    replaceQuery(search);
    void refresh();
  });

  const download = (table: ReportTable, label: string): HTMLButtonElement =>
    h(
      'button',
      {
        type: 'button',
        class: 'secondary report-download',
        'data-table': table,
        onclick: async (event: Event) => {
          const button = event.currentTarget as HTMLButtonElement;
          button.disabled = true;
          try {
            const name = await downloadWithSession(
              `/api/v1/reports/maintenance.csv${query({ ...apiParams(params), table })}`,
              `plantwatch-maintenance-${table}.csv`,
            );
            error.show('');
            ctx.announce(`Downloaded ${name}`);
          } catch (failure) {
            error.show(`Could not download the CSV: ${errorMessage(failure)}`);
          } finally {
            button.disabled = false;
          }
        },
      },
      label,
    );

  const section = (id: string, heading: string, ...children: Child[]) =>
    h(
      'section',
      { class: 'report-section', 'aria-labelledby': id },
      h('div', { class: 'view-head' }, h('h2', { id }, heading)),
      ...children,
    );

  const render = (report: MaintenanceReport, signal: AbortSignal) => {
    // The range the server settled on (defaults included), in the form's terms.
    from.value = day(report.from);
    to.value = lastDay(report.to);
    const starts = report.buckets.map((b) => b.start);
    const openSection = section(
      'report-open-heading',
      'Open tickets by site and severity',
      openTable(report),
    );
    const trendSection = section(
      'report-trend-heading',
      `Backlog and precision per ${report.bucket}`,
      h(
        'div',
        { class: 'report-charts' },
        bucketFigure(
          `Open tickets at the end of each ${report.bucket}`,
          starts,
          {
            label: 'Backlog',
            values: report.buckets.map((b) => b.backlog),
            format: (v) => String(Math.round(v)),
          },
          signal,
        ),
        bucketFigure(
          `Precision of the tickets opened each ${report.bucket}`,
          starts,
          {
            label: 'Precision',
            values: report.buckets.map((b) => b.precision ?? null),
            format: formatPercent,
            range: [0, 1],
          },
          signal,
        ),
      ),
      bucketTable(report),
    );
    const assetSection = section('report-assets-heading', 'Assets with the most tickets', assetTable(report));
    // A download button beside the heading of each table that has rows.
    const offer = (section: HTMLElement, rows: number, table: ReportTable) => {
      if (rows) section.querySelector('.view-head')?.append(download(table, 'Download CSV'));
    };
    offer(openSection, report.openBySite.length, 'open');
    offer(trendSection, report.buckets.length, 'buckets');
    offer(assetSection, report.topAssets.length, 'assets');
    replaceChildren(
      body,
      h(
        'p',
        { class: 'muted report-range' },
        `${day(report.from)} to ${lastDay(report.to)}${report.site ? `, site ${report.site}` : ', all your sites'}; ` +
          'times to acknowledge and repair, precision and the top assets count the tickets opened in the range.',
      ),
      h('div', { class: 'view-head' }, tiles(report), download('summary', 'Download summary CSV')),
      openSection,
      trendSection,
      assetSection,
    );
  };

  const refresh = async () => {
    load?.abort();
    const current = new AbortController();
    load = current;
    ctx.signal.addEventListener('abort', () => current.abort(), { once: true });
    body.setAttribute('aria-busy', 'true');
    try {
      const report = await api<MaintenanceReport>(`/api/v1/reports/maintenance${query(apiParams(params))}`, {
        signal: current.signal,
      });
      error.show('');
      render(report, current.signal);
    } catch (failure) {
      if (!isAbort(failure)) error.show(`Could not load the report: ${errorMessage(failure)}`);
    } finally {
      if (load === current) body.removeAttribute('aria-busy');
    }
  };

  replaceChildren(
    root,
    h(
      'section',
      { class: 'reports-view', 'aria-labelledby': 'reports-heading' },
      h('h1', { id: 'reports-heading', tabindex: -1 }, 'Reports'),
      form,
      error,
      body,
    ),
  );
  void refresh();
};
