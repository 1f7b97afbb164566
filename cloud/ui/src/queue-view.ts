import { api, errorMessage, isAbort, query } from './api.js';
import { alertBox, field, h, isTyping, replaceChildren } from './dom.js';
import { FAULTS, faultLabel } from './faults.js';
import { relativeTime, slaCountdown } from './format.js';
import { OPEN_STATUSES, STATUS_LABELS, TICKET_STATUSES } from './lifecycle.js';
import { hrefs, navigate, replaceQuery } from './router.js';
import { severityBadge, slaBadge, statusBadge } from './badges.js';
import type { TicketPage, TicketView } from './types.js';
import type { View } from './view.js';

const PAGE_SIZE = 50;
/** The server's largest page: a refresh reloads what is shown in one request, up to this. */
const MAX_PAGE = 500;
const REFRESH_MS = 15_000;

/** The queue's filters as they stand in the URL (`#/queue?status=open&sort=urgency&site=…`). */
interface Filters {
  status: string;
  site: string;
  asset: string;
  fault: string;
  kind: '' | 'predicted' | 'fired';
  overdue: boolean;
  assignee: string;
  sort: 'urgency' | 'newest';
}

const DEFAULTS: Filters = {
  status: 'open',
  site: '',
  asset: '',
  fault: '',
  kind: '',
  overdue: false,
  assignee: '',
  sort: 'urgency',
};

function readFilters(search: URLSearchParams): Filters {
  const kind = search.get('kind');
  const sort = search.get('sort');
  return {
    status: search.get('status') ?? DEFAULTS.status,
    site: search.get('site') ?? '',
    asset: search.get('asset') ?? '',
    fault: search.get('fault') ?? '',
    kind: kind === 'predicted' || kind === 'fired' ? kind : '',
    overdue: search.get('overdue') === 'true',
    assignee: search.get('assignee') ?? '',
    sort: sort === 'newest' ? 'newest' : 'urgency',
  };
}

/** How many filters differ from the plain queue (the phone's "Filters (n active)"). */
const activeFilterCount = (filters: Filters): number =>
  (Object.keys(DEFAULTS) as (keyof Filters)[]).filter((key) => filters[key] !== DEFAULTS[key]).length;

/** Only what differs from the defaults goes into the URL, so the plain queue is just `#/queue`. */
function filtersToSearch(filters: Filters): URLSearchParams {
  const search = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS) as (keyof Filters)[]) {
    if (filters[key] !== DEFAULTS[key]) search.set(key, String(filters[key]));
  }
  return search;
}

const apiQuery = (filters: Filters, limit: number, cursor?: string) =>
  query({
    status: filters.status === 'all' ? undefined : filters.status,
    site: filters.site.trim() || undefined,
    asset: filters.asset.trim() || undefined,
    fault: filters.fault || undefined,
    predicted: filters.kind === '' ? undefined : filters.kind === 'predicted',
    overdue: filters.overdue ? true : undefined,
    assignee: filters.assignee.trim() || undefined,
    sort: filters.sort,
    limit,
    cursor,
  });

/** The last ticket selected in the queue: coming back from a ticket keeps the place. */
let rememberedSelection: string | undefined;

export const queueView: View = (root, route, ctx) => {
  ctx.setTitle('Queue');
  let filters = readFilters(route.query);
  let tickets: TicketView[] = [];
  let nextCursor: string | undefined;
  let selected = 0;
  let known = new Set<string>();
  let load: AbortController | undefined;
  let generation = 0;

  // Filters: form controls, each labelled, reflected in the URL.
  const status = h(
    'select',
    { id: 'filter-status', name: 'status' },
    h('option', { value: 'open' }, 'Open'),
    h('option', { value: 'all' }, 'All'),
    ...TICKET_STATUSES.map((s) => h('option', { value: s }, STATUS_LABELS[s])),
  );
  const site = h('input', { id: 'filter-site', name: 'site', maxlength: 64, autocomplete: 'off' });
  const asset = h('input', { id: 'filter-asset', name: 'asset', maxlength: 64, autocomplete: 'off' });
  const fault = h(
    'select',
    { id: 'filter-fault', name: 'fault' },
    h('option', { value: '' }, 'Any'),
    ...FAULTS.map((f) => h('option', { value: f }, faultLabel(f))),
  );
  const kind = h(
    'select',
    { id: 'filter-kind', name: 'kind' },
    h('option', { value: '' }, 'Predicted and fired'),
    h('option', { value: 'predicted' }, 'Predicted'),
    h('option', { value: 'fired' }, 'Fired'),
  );
  const assignee = h('input', {
    id: 'filter-assignee',
    name: 'assignee',
    maxlength: 64,
    autocomplete: 'off',
  });
  const overdue = h('input', { id: 'filter-overdue', name: 'overdue', type: 'checkbox' });
  const sort = h(
    'select',
    { id: 'filter-sort', name: 'sort' },
    h('option', { value: 'urgency' }, 'Urgency'),
    h('option', { value: 'newest' }, 'Newest first'),
  );

  const showFilters = () => {
    status.value = filters.status;
    site.value = filters.site;
    asset.value = filters.asset;
    fault.value = filters.fault;
    kind.value = filters.kind;
    assignee.value = filters.assignee;
    overdue.checked = filters.overdue;
    sort.value = filters.sort;
  };
  showFilters();

  const form = h(
    'form',
    { class: 'filters', role: 'search', 'aria-label': 'Filter tickets' },
    field('Status', status),
    field('Site', site),
    field('Asset', asset),
    field('Fault', fault),
    field('Raised by', kind),
    field('Assignee', assignee),
    field('Sort by', sort),
    h('div', { class: 'field checkbox' }, overdue, h('label', { for: overdue.id }, 'Overdue only')),
    h('button', { type: 'submit' }, 'Apply'),
  );
  // On a phone the filters fold behind one button that says how many are set, so the queue starts
  // near the top of the screen; from a tablet up the button is hidden and the form always shows.
  const filtersToggle = h('button', {
    type: 'button',
    class: 'filters-toggle secondary',
    'aria-expanded': 'false',
    'aria-controls': 'queue-filters',
  });
  form.id = 'queue-filters';
  const showFiltersToggle = () => {
    const active = activeFilterCount(filters);
    filtersToggle.textContent = active ? `Filters (${active} active)` : 'Filters';
  };
  const expandFilters = (open: boolean) => {
    filtersToggle.setAttribute('aria-expanded', String(open));
    form.classList.toggle('collapsed', !open);
  };
  filtersToggle.addEventListener('click', () =>
    expandFilters(filtersToggle.getAttribute('aria-expanded') !== 'true'),
  );
  expandFilters(false);
  showFiltersToggle();

  const applyFilters = () => {
    filters = {
      status: status.value,
      site: site.value,
      asset: asset.value,
      fault: fault.value,
      kind: kind.value as Filters['kind'],
      overdue: overdue.checked,
      assignee: assignee.value,
      sort: sort.value === 'newest' ? 'newest' : 'urgency',
    };
    replaceQuery(filtersToSearch(filters));
    showFiltersToggle();
    selected = 0;
    void reload('filter');
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    applyFilters();
  });
  // Selects and the checkbox apply at once; text applies on Enter or when leaving the field.
  form.addEventListener('change', applyFilters);

  const error = alertBox('error');
  const count = h('p', { class: 'count', id: 'queue-count' });
  const updated = h('span', { class: 'updated' });
  const loadMore = h('button', { type: 'button', class: 'load-more', hidden: true }, 'Load more');
  const tbody = h('tbody');
  const table = h(
    'table',
    { class: 'queue', 'aria-describedby': 'queue-count queue-keys' },
    h('caption', { class: 'visually-hidden' }, 'Tickets'),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', { scope: 'col' }, 'Severity'),
        h('th', { scope: 'col' }, 'Ticket'),
        h('th', { scope: 'col', class: 'col-asset' }, 'Asset'),
        h('th', { scope: 'col', class: 'col-fault' }, 'Fault'),
        h('th', { scope: 'col', class: 'col-status' }, 'Status'),
        h('th', { scope: 'col', class: 'col-sla' }, 'SLA'),
        h('th', { scope: 'col', class: 'col-assignee' }, 'Assignee'),
        h('th', { scope: 'col', class: 'col-seen' }, 'Last seen'),
      ),
    ),
    tbody,
  );
  const empty = h('p', { class: 'empty', hidden: true }, 'No tickets match these filters.');

  const rowFor = (ticket: TicketView, index: number, fresh: boolean) => {
    const now = Date.now();
    const sla = slaCountdown(ticket.dueAt, ticket.overdue, OPEN_STATUSES.includes(ticket.status), now);
    const row = h(
      'tr',
      {
        'data-id': ticket.id,
        class: [index === selected ? 'selected' : '', fresh ? 'is-new' : ''].join(' ').trim() || undefined,
        'aria-current': index === selected ? 'true' : undefined,
      },
      h(
        'td',
        { class: 'col-severity' },
        severityBadge(ticket.severity),
        ticket.priority ? ` ${ticket.priority}` : '',
      ),
      h(
        'td',
        { class: 'col-title' },
        h('a', { href: hrefs.ticket(ticket.id), class: 'ticket-link' }, ticket.title),
        ticket.prediction ? h('span', { class: 'tag predicted' }, 'predicted') : null,
        ticket.condition === 'cleared' ? h('span', { class: 'tag' }, 'cleared') : null,
      ),
      h('td', { class: 'col-asset' }, h('a', { href: hrefs.asset(ticket.assetId) }, ticket.assetId)),
      h('td', { class: 'col-fault' }, faultLabel(ticket.fault)),
      h('td', { class: 'col-status' }, statusBadge(ticket.status)),
      h('td', { class: 'col-sla' }, slaBadge(sla, ticket.dueAt)),
      h('td', { class: 'col-assignee' }, ticket.assignee ?? h('span', { class: 'muted' }, 'unassigned')),
      h(
        'td',
        { class: 'col-seen' },
        h('time', { datetime: ticket.lastSeen, title: ticket.lastSeen }, relativeTime(ticket.lastSeen, now)),
      ),
    );
    row.addEventListener('click', (event) => {
      if ((event.target as HTMLElement).closest('a')) return;
      select(index, false);
    });
    row.addEventListener('dblclick', () => open(index));
    return row;
  };

  const render = (fresh: Set<string> = new Set()) => {
    const hadFocus = tbody.contains(document.activeElement);
    replaceChildren(tbody, ...tickets.map((t, i) => rowFor(t, i, fresh.has(t.id))));
    empty.hidden = tickets.length > 0;
    table.hidden = tickets.length === 0;
    count.textContent = `${tickets.length} shown${nextCursor ? ', more available' : ''}`;
    loadMore.hidden = !nextCursor;
    updated.textContent = `Updated ${new Date().toLocaleTimeString()}`;
    if (hadFocus) focusSelected();
  };

  const rows = () => [...tbody.querySelectorAll<HTMLTableRowElement>('tr')];

  const focusSelected = () => {
    const row = rows()[selected];
    row?.querySelector<HTMLAnchorElement>('a.ticket-link')?.focus({ preventScroll: true });
    row?.scrollIntoView({ block: 'nearest' });
  };

  const select = (index: number, focus = true) => {
    if (tickets.length === 0) return;
    selected = Math.max(0, Math.min(tickets.length - 1, index));
    rows().forEach((row, i) => {
      row.classList.toggle('selected', i === selected);
      if (i === selected) row.setAttribute('aria-current', 'true');
      else row.removeAttribute('aria-current');
    });
    rememberedSelection = tickets[selected]?.id;
    if (focus) focusSelected();
  };

  const open = (index: number) => {
    const ticket = tickets[index];
    if (ticket) {
      rememberedSelection = ticket.id;
      navigate(hrefs.ticket(ticket.id));
    }
  };

  /** A new request for this screen; the one before it (a slower filter, a refresh) is dropped. */
  const startLoad = () => {
    load?.abort();
    load = new AbortController();
    const signal = AbortSignal.any([ctx.signal, load.signal]);
    return { signal, id: ++generation };
  };

  async function reload(reason: 'first' | 'filter' | 'refresh') {
    const { signal, id } = startLoad();
    const limit = reason === 'refresh' ? Math.min(MAX_PAGE, Math.max(PAGE_SIZE, tickets.length)) : PAGE_SIZE;
    // New filters start at the top; a refresh or a return from a ticket keeps the selected ticket.
    const selectedId =
      reason === 'filter' ? undefined : reason === 'first' ? rememberedSelection : tickets[selected]?.id;
    table.setAttribute('aria-busy', 'true');
    try {
      const page = await api<TicketPage>(`/api/v1/tickets${apiQuery(filters, limit)}`, { signal });
      if (id !== generation) return;
      const fresh = reason === 'refresh' ? page.tickets.filter((t) => !known.has(t.id)) : [];
      tickets = page.tickets;
      nextCursor = page.nextCursor;
      known = new Set(tickets.map((t) => t.id));
      // The selection follows its ticket, wherever the refresh moved it.
      const keep = selectedId ? tickets.findIndex((t) => t.id === selectedId) : -1;
      selected = keep >= 0 ? keep : Math.min(selected, Math.max(0, tickets.length - 1));
      error.show('');
      render(new Set(fresh.map((t) => t.id)));
      if (fresh.length) {
        const first = fresh[0];
        ctx.announce(
          `${fresh.length} new ticket${fresh.length === 1 ? '' : 's'} in the queue` +
            (first ? `: ${first.title}${fresh.length > 1 ? ' and more' : ''}` : ''),
        );
      }
    } catch (failure) {
      if (isAbort(failure)) return;
      error.show(`Could not load tickets: ${errorMessage(failure)}`);
    } finally {
      if (id === generation) table.removeAttribute('aria-busy');
    }
  }

  loadMore.addEventListener('click', async () => {
    if (!nextCursor) return;
    const { signal, id } = startLoad();
    loadMore.disabled = true;
    try {
      const page = await api<TicketPage>(`/api/v1/tickets${apiQuery(filters, PAGE_SIZE, nextCursor)}`, {
        signal,
      });
      if (id !== generation) return;
      const before = tickets.length;
      tickets = [...tickets, ...page.tickets];
      nextCursor = page.nextCursor;
      for (const t of page.tickets) known.add(t.id);
      render();
      ctx.announce(`${page.tickets.length} more loaded, ${tickets.length} shown`);
      select(before);
    } catch (failure) {
      if (!isAbort(failure)) error.show(`Could not load more tickets: ${errorMessage(failure)}`);
    } finally {
      loadMore.disabled = false;
    }
  });

  const onKey = (event: KeyboardEvent) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === '/' && !isTyping(event.target)) {
      event.preventDefault();
      expandFilters(true);
      status.focus();
      return;
    }
    if (isTyping(event.target)) return;
    if (event.key === 'j' || event.key === 'ArrowDown') {
      event.preventDefault();
      select(selected + 1);
    } else if (event.key === 'k' || event.key === 'ArrowUp') {
      event.preventDefault();
      select(selected - 1);
    } else if (event.key === 'Enter') {
      // A focused link or button does its own thing; elsewhere Enter opens the selected ticket.
      if ((event.target as HTMLElement).closest('a, button')) return;
      event.preventDefault();
      open(selected);
    }
  };
  document.addEventListener('keydown', onKey);

  const timer = setInterval(() => {
    if (!document.hidden) void reload('refresh');
  }, REFRESH_MS);
  ctx.signal.addEventListener('abort', () => {
    clearInterval(timer);
    document.removeEventListener('keydown', onKey);
    load?.abort();
  });

  replaceChildren(
    root,
    h(
      'section',
      { class: 'queue-view', 'aria-labelledby': 'queue-heading' },
      h(
        'div',
        { class: 'view-head' },
        h('h1', { id: 'queue-heading', tabindex: -1 }, 'Ticket queue'),
        h(
          'p',
          { class: 'muted keys-hint', id: 'queue-keys' },
          'Keys: j/k or ↑/↓ select, Enter opens, / filters.',
        ),
        filtersToggle,
      ),
      form,
      error,
      h('div', { class: 'queue-meta' }, count, updated),
      empty,
      h('div', { class: 'table-scroll' }, table),
      loadMore,
    ),
  );
  void reload('first');
};
