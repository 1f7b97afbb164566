import { api, errorMessage, isAbort, query } from './api.js';
import { auditDiff } from './audit-diff.js';
import { alertBox, field, h, replaceChildren } from './dom.js';
import { formatTime } from './format.js';
import { replaceQuery } from './router.js';
import type { AdminAuditEntry, AdminAuditPage } from './types.js';
import type { View } from './view.js';

const PAGE_SIZE = 50;
const TEXT_FILTERS = [
  { key: 'actor', label: 'Actor', hint: 'a username, or cli:<os user>' },
  { key: 'action', label: 'Action', hint: 'e.g. user.create, or user. for every user action' },
  { key: 'target', label: 'Target', hint: 'e.g. user:ana, gateway:gw-1, webhook:3' },
] as const;
const TIME_FILTERS = [
  { key: 'since', label: 'Since' },
  { key: 'until', label: 'Until' },
] as const;

/** `2026-03-02T09:00` from a datetime-local control as the API's ISO time; '' stays ''. */
const isoOf = (local: string): string => {
  const ms = Date.parse(local);
  return Number.isNaN(ms) ? '' : new Date(ms).toISOString();
};
const localOf = (iso: string | null): string => {
  const ms = iso ? Date.parse(iso) : NaN;
  if (Number.isNaN(ms)) return '';
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};

/** Before → after as a list of changed fields; values are text nodes, never markup. */
function diffList(entry: AdminAuditEntry): HTMLElement {
  const lines = auditDiff(entry.before, entry.after);
  if (lines.length === 0) return h('span', { class: 'muted' }, 'no field changed');
  return h(
    'ul',
    { class: 'audit-diff' },
    ...lines.map((line) =>
      h(
        'li',
        {},
        h('code', { class: 'audit-path' }, line.path),
        ': ',
        line.before !== undefined ? h('del', { class: 'audit-before' }, line.before) : null,
        line.before !== undefined && line.after !== undefined ? ' → ' : null,
        line.after !== undefined ? h('ins', { class: 'audit-after' }, line.after) : null,
      ),
    ),
  );
}

const entryRow = (entry: AdminAuditEntry): HTMLTableRowElement =>
  h(
    'tr',
    { 'data-audit-id': entry.id },
    h('td', {}, h('time', { datetime: entry.at }, formatTime(entry.at))),
    h('td', { class: 'audit-actor' }, entry.actor),
    h('td', {}, h('code', {}, entry.action)),
    h('td', { class: 'audit-target' }, entry.target),
    h('td', {}, diffList(entry)),
  );

/** `#/audit` (admins): the admin audit log, newest first, filtered, a page at a time. */
export const auditView: View = async (root, route, ctx) => {
  ctx.setTitle('Audit log');
  const heading = h('h1', { tabindex: -1 }, 'Audit log');
  if (ctx.user?.role !== 'admin') {
    replaceChildren(root, heading, h('p', { class: 'error', role: 'alert' }, 'The audit log is for admins.'));
    return;
  }
  const controls = new Map<string, HTMLInputElement>();
  const textFields = TEXT_FILTERS.map(({ key, label, hint }) => {
    const input = h('input', {
      type: 'text',
      name: key,
      value: route.query.get(key) ?? '',
      spellcheck: 'false',
    });
    controls.set(key, input);
    return field(label, input, hint);
  });
  const timeFields = TIME_FILTERS.map(({ key, label }) => {
    const input = h('input', { type: 'datetime-local', name: key, value: localOf(route.query.get(key)) });
    controls.set(key, input);
    return field(label, input);
  });
  const form = h(
    'form',
    { class: 'filters audit-filters', role: 'search' },
    ...textFields,
    ...timeFields,
    h('button', { type: 'submit' }, 'Filter'),
  );
  const errorBox = alertBox('error');
  const body = h('tbody', {});
  const empty = h('p', { class: 'empty', hidden: true }, 'No administrative change matches.');
  const loadMore = h('button', { type: 'button', class: 'load-more', hidden: true }, 'Load more');
  const table = h(
    'table',
    { class: 'audit-table' },
    h(
      'thead',
      {},
      h('tr', {}, ...['When', 'Who', 'Action', 'Target', 'Change'].map((t) => h('th', { scope: 'col' }, t))),
    ),
    body,
  );
  replaceChildren(root, heading, form, errorBox, table, empty, loadMore);

  const filters = () => {
    const values: Record<string, string> = {};
    for (const { key } of TEXT_FILTERS) values[key] = controls.get(key)?.value.trim() ?? '';
    for (const { key } of TIME_FILTERS) values[key] = isoOf(controls.get(key)?.value ?? '');
    return values;
  };
  let cursor: string | undefined;

  const load = async (append: boolean) => {
    errorBox.show('');
    try {
      const page = await api<AdminAuditPage>(
        `/api/v1/audit${query({ ...filters(), limit: PAGE_SIZE, cursor: append ? cursor : undefined })}`,
        { signal: ctx.signal },
      );
      if (!append) body.replaceChildren();
      body.append(...page.entries.map(entryRow));
      cursor = page.nextCursor;
      loadMore.hidden = !cursor;
      empty.hidden = body.childElementCount > 0;
      // No rows, no header: the sentence above says so instead.
      table.hidden = body.childElementCount === 0;
    } catch (failure) {
      if (isAbort(failure)) return;
      errorBox.show(errorMessage(failure));
    }
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(filters())) if (value) search.set(key, value);
    replaceQuery(search);
    void load(false);
  });
  loadMore.addEventListener('click', () => void load(true));
  await load(false);
};
