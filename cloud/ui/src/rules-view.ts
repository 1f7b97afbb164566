import { api, errorMessage, isAbort } from './api.js';
import { alertBox, h, replaceChildren } from './dom.js';
import { formatDuration, formatPercent, formatTime } from './format.js';
import { replaceQuery } from './router.js';
import type { RuleTrackRecord } from './types.js';
import type { View } from './view.js';

interface Column {
  key: string;
  label: string;
  /** The value sorted by; undefined sorts last whichever the direction. */
  sortValue: (r: RuleTrackRecord) => number | string | undefined;
  cell: (r: RuleTrackRecord) => string;
  numeric?: boolean;
}

const COLUMNS: Column[] = [
  { key: 'rule', label: 'Rule', sortValue: (r) => r.ruleId, cell: (r) => r.ruleId },
  {
    key: 'version',
    label: 'Version',
    sortValue: (r) => r.ruleVersion,
    cell: (r) => r.ruleVersion.slice(0, 12),
  },
  { key: 'fired', label: 'Fired', sortValue: (r) => r.fired, cell: (r) => String(r.fired), numeric: true },
  { key: 'open', label: 'Open', sortValue: (r) => r.open, cell: (r) => String(r.open), numeric: true },
  {
    key: 'confirmed',
    label: 'Confirmed',
    sortValue: (r) => r.confirmed,
    cell: (r) => String(r.confirmed),
    numeric: true,
  },
  {
    key: 'falsePositives',
    label: 'False positives',
    sortValue: (r) => r.falsePositives,
    cell: (r) => String(r.falsePositives),
    numeric: true,
  },
  {
    key: 'inconclusive',
    label: 'Inconclusive',
    sortValue: (r) => r.inconclusive,
    cell: (r) => String(r.inconclusive),
    numeric: true,
  },
  {
    key: 'duplicates',
    label: 'Duplicates',
    sortValue: (r) => r.duplicates,
    cell: (r) => String(r.duplicates),
    numeric: true,
  },
  {
    key: 'precision',
    label: 'Precision',
    sortValue: (r) => r.precision,
    cell: (r) => (r.precision === undefined ? '–' : formatPercent(r.precision)),
    numeric: true,
  },
  {
    key: 'leadTime',
    label: 'Median lead time',
    sortValue: (r) => r.medianLeadTimeMs,
    cell: (r) => (r.medianLeadTimeMs === undefined ? '–' : formatDuration(r.medianLeadTimeMs)),
    numeric: true,
  },
  {
    key: 'predicted',
    label: 'Predicted',
    sortValue: (r) => r.predicted,
    cell: (r) => String(r.predicted),
    numeric: true,
  },
  {
    key: 'lastFired',
    label: 'Last fired',
    sortValue: (r) => r.lastFiredAt,
    cell: (r) => (r.lastFiredAt ? formatTime(r.lastFiredAt) : '–'),
  },
];

function sorted(records: RuleTrackRecord[], column: Column, descending: boolean): RuleTrackRecord[] {
  return [...records].sort((a, b) => {
    const x = column.sortValue(a);
    const y = column.sortValue(b);
    if (x === undefined || y === undefined) return x === y ? 0 : x === undefined ? 1 : -1;
    const order = x < y ? -1 : x > y ? 1 : 0;
    return descending ? -order : order;
  });
}

/**
 * Each rule version's track record: how often it fired and how engineers judged it. Precision is
 * what says whether a rule earns its alarms; a rule edit is a new version with a fresh record.
 */
export const rulesView: View = async (root, route, ctx) => {
  ctx.setTitle('Rules');
  const highlightRule = route.query.get('rule') ?? undefined;
  const highlightVersion = route.query.get('version') ?? undefined;
  let sortKey = route.query.get('sort') ?? 'rule';
  let descending = route.query.get('dir') === 'desc';
  const error = alertBox('error');
  const table = h('table', { class: 'rules', 'aria-busy': 'true' });
  const empty = h(
    'p',
    { class: 'empty', hidden: true },
    'No rule has fired yet: a rule appears here with its first ticket.',
  );
  replaceChildren(
    root,
    h(
      'section',
      { class: 'rules-view', 'aria-labelledby': 'rules-heading' },
      h('h1', { id: 'rules-heading', tabindex: -1 }, 'Rule track record'),
      h(
        'p',
        { class: 'muted' },
        'Per rule version. Precision = confirmed / (confirmed + false positives); lead time runs from a ticket’s opening to its confirmed failure, over the failures whose time was given. Select a column heading to sort.',
      ),
      error,
      empty,
      h('div', { class: 'table-scroll' }, table),
    ),
  );

  let records: RuleTrackRecord[];
  try {
    records = (await api<{ rules: RuleTrackRecord[] }>('/api/v1/rules/track-record', { signal: ctx.signal }))
      .rules;
  } catch (failure) {
    if (!isAbort(failure)) error.show(`Could not load the track record: ${errorMessage(failure)}`);
    return;
  }
  table.removeAttribute('aria-busy');

  const render = () => {
    const column = COLUMNS.find((c) => c.key === sortKey) ?? COLUMNS[0]!;
    const head = h(
      'tr',
      {},
      ...COLUMNS.map((c) =>
        h(
          'th',
          {
            scope: 'col',
            class: c.numeric ? 'num' : undefined,
            'aria-sort': c === column ? (descending ? 'descending' : 'ascending') : undefined,
          },
          h(
            'button',
            {
              type: 'button',
              class: 'sort',
              'data-sort': c.key,
              onclick: () => {
                // A number is most interesting highest first; text reads best A to Z.
                descending = c === column ? !descending : Boolean(c.numeric);
                sortKey = c.key;
                const search = new URLSearchParams(route.query);
                search.set('sort', sortKey);
                search.set('dir', descending ? 'desc' : 'asc');
                replaceQuery(search);
                render();
                table.querySelector<HTMLButtonElement>(`button[data-sort="${sortKey}"]`)?.focus();
              },
            },
            c.label,
            h(
              'span',
              { class: 'sort-mark', 'aria-hidden': 'true' },
              c === column ? (descending ? ' ▼' : ' ▲') : '',
            ),
          ),
        ),
      ),
    );
    const rows = sorted(records, column, descending).map((r) => {
      const highlighted =
        r.ruleId === highlightRule && (!highlightVersion || r.ruleVersion === highlightVersion);
      return h(
        'tr',
        {
          'data-rule-id': r.ruleId,
          'data-rule-version': r.ruleVersion,
          class: highlighted ? 'highlight' : undefined,
          'aria-current': highlighted ? 'true' : undefined,
        },
        ...COLUMNS.map((c) =>
          c.key === 'rule'
            ? h('th', { scope: 'row' }, r.ruleId)
            : h(
                'td',
                {
                  class: c.numeric ? 'num' : undefined,
                  'data-col': c.key,
                  title: c.key === 'version' ? r.ruleVersion : undefined,
                },
                c.cell(r),
              ),
        ),
      );
    });
    replaceChildren(
      table,
      h('caption', { class: 'visually-hidden' }, 'Track record per rule version'),
      h('thead', {}, head),
      h('tbody', {}, ...rows),
    );
    // No rows, no header: a plain sentence instead.
    table.hidden = records.length === 0;
    empty.hidden = records.length > 0;
  };
  render();
  table.querySelector('tr.highlight')?.scrollIntoView({ block: 'nearest' });
};
