import { api, errorMessage, isAbort, query } from './api.js';
import { alertBox, field, h, replaceChildren, uniqueId } from './dom.js';
import { formatTime } from './format.js';
import { hrefs, navigate } from './router.js';
import type {
  NotificationChannel,
  NotificationPreferences,
  NotificationView,
  PreferencesReply,
  Severity,
} from './types.js';
import type { View } from './view.js';

const SEVERITIES: Severity[] = ['low', 'medium', 'high', 'critical'];
type Kind = NotificationChannel['kind'];
const KINDS: { kind: Kind; label: string; address: string; placeholder: string }[] = [
  { kind: 'email', label: 'Email', address: 'Email address', placeholder: 'name@plant.example' },
  { kind: 'webhook', label: 'Webhook', address: 'Webhook URL', placeholder: 'https://…' },
  { kind: 'mqtt', label: 'MQTT', address: 'MQTT topic', placeholder: 'plantwatch/notify/name' },
];

const addressOf = (c: NotificationChannel): string =>
  c.kind === 'email' ? c.to : c.kind === 'webhook' ? c.url : c.topic;

const options = (values: [string, string][], selected: string | undefined) =>
  values.map(([value, label]) => h('option', { value, selected: value === (selected ?? '') }, label));

/** One channel as a row of controls; `read()` gives the channel as the API takes it. */
function channelRow(
  channel: NotificationChannel | undefined,
  index: number,
  onRemove: (row: HTMLElement) => void,
) {
  const kindSelect = h(
    'select',
    { id: uniqueId('channel-kind'), class: 'channel-kind' },
    ...options(
      KINDS.map((k) => [k.kind, k.label]),
      channel?.kind ?? 'email',
    ),
  );
  const address = h('input', {
    id: uniqueId('channel-address'),
    class: 'channel-address',
    type: 'text',
    autocomplete: 'off',
    spellcheck: 'false',
    value: channel ? addressOf(channel) : '',
  });
  const severity = h(
    'select',
    { id: uniqueId('channel-severity'), class: 'channel-severity' },
    ...options(
      [['', 'any'], ...SEVERITIES.map((s): [string, string] => [s, `${s} and above`])],
      channel?.minSeverity,
    ),
  );
  const secret = h('input', {
    id: uniqueId('channel-secret'),
    class: 'channel-secret',
    type: 'password',
    autocomplete: 'new-password',
    value: channel?.kind === 'webhook' ? (channel.secret ?? '') : '',
  });
  const addressField = field('Email address', address);
  const secretField = field('Signing secret (optional)', secret, 'kept when left as ********');
  const legend = h('legend', {}, `Channel ${index + 1}`);
  const row = h(
    'fieldset',
    { class: 'channel-row' },
    legend,
    field('Kind', kindSelect),
    addressField,
    field('Minimum severity', severity),
    secretField,
    h(
      'button',
      { type: 'button', class: 'secondary remove-channel', onclick: () => onRemove(row) },
      'Remove',
      h('span', { class: 'visually-hidden' }, ` channel ${index + 1}`),
    ),
  );
  const sync = () => {
    const kind = KINDS.find((k) => k.kind === kindSelect.value) ?? KINDS[0]!;
    const label = addressField.querySelector('label');
    if (label) label.textContent = kind.address;
    address.placeholder = kind.placeholder;
    address.setAttribute(
      'inputmode',
      kind.kind === 'email' ? 'email' : kind.kind === 'webhook' ? 'url' : 'text',
    );
    secretField.hidden = kind.kind !== 'webhook';
  };
  kindSelect.addEventListener('change', sync);
  sync();
  const renumber = (i: number) => {
    legend.textContent = `Channel ${i + 1}`;
    const hidden = row.querySelector('.remove-channel .visually-hidden');
    if (hidden) hidden.textContent = ` channel ${i + 1}`;
  };
  const read = (): NotificationChannel => {
    const value = address.value.trim();
    const min = severity.value ? { minSeverity: severity.value as Severity } : {};
    const kind = kindSelect.value as Kind;
    if (kind === 'webhook')
      return { kind, url: value, ...(secret.value ? { secret: secret.value } : {}), ...min };
    if (kind === 'mqtt') return { kind, topic: value, ...min };
    return { kind: 'email', to: value, ...min };
  };
  return { row, read, renumber };
}

function preferencesForm(
  username: string,
  initial: NotificationPreferences,
  save: (preferences: NotificationPreferences) => Promise<void>,
): HTMLElement {
  const alert = alertBox();
  const status = h('p', { class: 'form-status', role: 'status' });
  const list = h('div', { class: 'channel-list' });
  const rows: ReturnType<typeof channelRow>[] = [];
  const remove = (row: HTMLElement) => {
    const index = rows.findIndex((r) => r.row === row);
    if (index < 0) return;
    rows.splice(index, 1);
    row.remove();
    rows.forEach((r, i) => r.renumber(i));
    noChannels.hidden = rows.length > 0;
    addButton.focus();
  };
  const add = (channel?: NotificationChannel) => {
    const row = channelRow(channel, rows.length, remove);
    rows.push(row);
    list.append(row.row);
    noChannels.hidden = true;
    return row;
  };
  const noChannels = h('p', { class: 'muted' }, 'No channels: nothing is sent to you.');
  const addButton = h(
    'button',
    {
      type: 'button',
      class: 'secondary',
      onclick: () => add().row.querySelector<HTMLElement>('select')?.focus(),
    },
    'Add channel',
  );
  for (const channel of initial.channels) add(channel);
  noChannels.hidden = rows.length > 0;

  const watch = h(
    'select',
    { id: 'pref-watch' },
    ...options(
      [
        ['mine', 'my tickets (assigned to me)'],
        ['sites', 'also every new ticket on my sites'],
      ],
      initial.watch ?? 'mine',
    ),
  );
  const quietFrom = h('input', { id: 'quiet-from', type: 'time', value: initial.quietHours?.from ?? '' });
  const quietTo = h('input', { id: 'quiet-to', type: 'time', value: initial.quietHours?.to ?? '' });
  const quietZone = h('input', {
    id: 'quiet-timezone',
    type: 'text',
    spellcheck: 'false',
    placeholder: 'Europe/Berlin',
    value: initial.quietHours?.timezone ?? '',
  });
  const digest = SEVERITIES.map((s) =>
    h('input', {
      type: 'checkbox',
      id: `digest-${s}`,
      value: s,
      checked: initial.digest?.includes(s) ?? false,
    }),
  );
  const submit = h('button', { type: 'submit' }, 'Save preferences');

  const form = h(
    'form',
    { class: 'preferences-form', novalidate: true, 'aria-labelledby': 'preferences-heading' },
    h(
      'fieldset',
      { class: 'channels' },
      h('legend', {}, 'Channels'),
      noChannels,
      list,
      h('div', { class: 'button-row' }, addButton),
    ),
    h(
      'fieldset',
      {},
      h('legend', {}, 'What'),
      field('Watch', watch, 'Changes to the tickets assigned to you, or also every new ticket at your sites'),
    ),
    h(
      'fieldset',
      { class: 'quiet-hours' },
      h('legend', {}, 'Quiet hours'),
      h(
        'p',
        { class: 'hint' },
        'Anything but critical waits until they are over. Leave both times empty for none.',
      ),
      h(
        'div',
        { class: 'field-row' },
        field('From', quietFrom),
        field('To', quietTo),
        field('Time zone', quietZone, 'IANA name; UTC when empty'),
      ),
    ),
    h(
      'fieldset',
      { class: 'digest' },
      h('legend', {}, 'Digest: collect these severities into a periodic summary'),
      h(
        'div',
        { class: 'field-row' },
        ...digest.map((box, i) =>
          h('div', { class: 'field checkbox' }, box, h('label', { for: box.id }, SEVERITIES[i] ?? '')),
        ),
      ),
    ),
    alert,
    status,
    h('div', { class: 'button-row' }, submit),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    alert.show('');
    status.textContent = '';
    const preferences: NotificationPreferences = {
      channels: rows.map((r) => r.read()),
      watch: watch.value === 'sites' ? 'sites' : 'mine',
    };
    if (quietFrom.value || quietTo.value || quietZone.value.trim()) {
      preferences.quietHours = {
        from: quietFrom.value,
        to: quietTo.value,
        ...(quietZone.value.trim() ? { timezone: quietZone.value.trim() } : {}),
      };
    }
    const severities = digest.filter((box) => box.checked).map((box) => box.value as Severity);
    if (severities.length) preferences.digest = severities;
    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await save(preferences);
      status.textContent = `Saved ${username}'s notification preferences.`;
    } catch (failure) {
      if (!isAbort(failure)) alert.show(`Not saved: ${errorMessage(failure)}`);
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }
  });
  return form;
}

function notificationRow(n: NotificationView): HTMLTableRowElement {
  const waiting = n.status === 'pending' ? ` until ${formatTime(n.deliverAfter)}` : '';
  return h(
    'tr',
    { 'data-id': String(n.id), 'data-ticket': n.ticket.id, 'data-status': n.status },
    h('td', {}, h('time', { datetime: n.createdAt }, formatTime(n.createdAt))),
    h('td', {}, h('a', { href: hrefs.ticket(n.ticket.id), class: 'ticket-link' }, n.ticket.title)),
    h('td', { class: 'notification-state' }, n.state, n.mode === 'digest' ? ' (digest)' : ''),
    h('td', { class: 'notification-channel' }, n.channel),
    h(
      'td',
      {},
      h('span', { class: `badge notification-status status-${n.status}` }, n.status),
      waiting,
      n.attempts > 1 ? ` (${n.attempts} attempts)` : '',
    ),
    h('td', { class: 'notification-error' }, n.lastError ?? ''),
  );
}

/**
 * One's notification preferences (an admin may pick anyone with `?user=`), saved with
 * `PUT /api/v1/users/:username/notifications`, and the notifications recently sent to them.
 */
export const notificationsView: View = async (root, route, ctx) => {
  ctx.setTitle('Notifications');
  const me = ctx.user?.username ?? '';
  const admin = ctx.user?.role === 'admin';
  const username = (admin ? route.query.get('user') : undefined) || me;
  const path = `/api/v1/users/${encodeURIComponent(username)}/notifications`;

  const error = alertBox('error');
  const formHolder = h('div', { 'aria-busy': 'true' });
  const source = h('p', { class: 'count' });
  const listError = alertBox('error');
  const tbody = h('tbody');
  const listCount = h('p', { class: 'count' });
  const table = h(
    'table',
    { class: 'notifications', 'aria-busy': 'true' },
    h('caption', { class: 'visually-hidden' }, `Notifications to ${username}, newest first`),
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['Time', 'Ticket', 'State', 'Channel', 'Status', 'Last error'].map((label) =>
          h('th', { scope: 'col' }, label),
        ),
      ),
    ),
    tbody,
  );

  let picker: HTMLElement | null = null;
  if (admin) {
    const input = h('input', {
      id: 'notifications-user',
      type: 'text',
      spellcheck: 'false',
      value: username,
    });
    picker = h(
      'form',
      {
        class: 'user-picker',
        onsubmit: (event: Event) => {
          event.preventDefault();
          navigate(hrefs.notifications(input.value.trim() === me ? undefined : input.value.trim()));
        },
      },
      field('User', input, 'as an admin, anyone’s preferences'),
      h('button', { type: 'submit', class: 'secondary' }, 'Show'),
    );
  }

  replaceChildren(
    root,
    h(
      'section',
      { class: 'notifications-view', 'aria-labelledby': 'notifications-heading' },
      h('h1', { id: 'notifications-heading', tabindex: -1 }, 'Notifications'),
      picker,
      error,
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'preferences-heading' },
        h(
          'h2',
          { id: 'preferences-heading' },
          username === me ? 'My preferences' : `Preferences of ${username}`,
        ),
        source,
        formHolder,
      ),
      h(
        'section',
        { class: 'panel', 'aria-labelledby': 'sent-heading' },
        h('h2', { id: 'sent-heading' }, 'Recent notifications'),
        listError,
        listCount,
        h('div', { class: 'table-scroll' }, table),
      ),
    ),
  );

  const describe = (reply: PreferencesReply) => {
    source.textContent =
      reply.source === 'file'
        ? 'From the config file; saving here replaces it.'
        : reply.source === 'api'
          ? 'Set in the console or through the API.'
          : 'Not set yet.';
  };
  const showForm = (reply: PreferencesReply) => {
    describe(reply);
    replaceChildren(
      formHolder,
      preferencesForm(username, reply.preferences, async (preferences) => {
        const saved = await api<PreferencesReply>(path, {
          method: 'PUT',
          body: preferences,
          signal: ctx.signal,
        });
        describe(saved);
        ctx.announce('Notification preferences saved');
      }),
    );
    formHolder.removeAttribute('aria-busy');
  };

  const loadList = async () => {
    try {
      const { notifications } = await api<{ notifications: NotificationView[] }>(
        `/api/v1/notifications${query({ username, limit: 50 })}`,
        { signal: ctx.signal },
      );
      replaceChildren(tbody, ...notifications.map(notificationRow));
      // No rows, no header: the count says "Nothing sent yet." instead.
      table.hidden = notifications.length === 0;
      listCount.textContent = notifications.length
        ? `${notifications.length} most recent`
        : 'Nothing sent yet.';
      table.removeAttribute('aria-busy');
      listError.show('');
    } catch (failure) {
      if (!isAbort(failure)) listError.show(`Could not load the notifications: ${errorMessage(failure)}`);
    }
  };

  await Promise.all([
    api<PreferencesReply>(path, { signal: ctx.signal }).then(showForm, (failure: unknown) => {
      if (isAbort(failure)) throw failure;
      error.show(`Could not load the preferences: ${errorMessage(failure)}`);
      formHolder.removeAttribute('aria-busy');
    }),
    loadList(),
  ]);
};
