import { api, errorMessage, isAbort, query } from './api.js';
import { alertBox, field, h, replaceChildren } from './dom.js';
import { relativeTime } from './format.js';
import {
  HEALTH_LABELS,
  HEALTH_STATES,
  healthChip,
  isHealthState,
  latestValues,
  openTicketsText,
} from './health-chip.js';
import { hrefs, replaceQuery } from './router.js';
import type { AssetHealth, HealthState, PlantReply } from './types.js';
import type { View } from './view.js';

/** Health moves with telemetry every 10 s; twice a minute keeps the overview current without load. */
const REFRESH_MS = 30_000;

function assetCard(asset: AssetHealth, now: number): HTMLLIElement {
  const values = latestValues(asset, now);
  return h(
    'li',
    { class: `asset-card health-${asset.state}`, 'data-asset': asset.assetId },
    h(
      'div',
      { class: 'asset-card-head' },
      h(
        'a',
        { class: 'asset-link', href: hrefs.asset(asset.assetId) },
        asset.name ?? asset.assetId,
        asset.name ? h('small', { class: 'muted' }, ` ${asset.assetId}`) : null,
      ),
      healthChip(asset.state),
    ),
    h('p', { class: 'asset-reasons' }, asset.reasons.join('; ')),
    values.length
      ? h(
          'dl',
          { class: 'asset-values' },
          ...values.flatMap((v) => [
            h('dt', {}, v.label),
            h('dd', {}, h('strong', {}, v.value), ' ', h('small', { class: 'muted' }, v.when)),
          ]),
        )
      : null,
    h(
      'p',
      { class: 'asset-foot' },
      asset.openTickets > 0
        ? h(
            'a',
            { class: 'asset-tickets', href: hrefs.queue(new URLSearchParams({ asset: asset.assetId })) },
            openTicketsText(asset),
          )
        : h('span', { class: 'asset-tickets' }, openTicketsText(asset)),
      h(
        'small',
        { class: 'muted' },
        asset.lastSeen ? ` · last seen ${relativeTime(asset.lastSeen, now)}` : ' · never seen',
      ),
    ),
  );
}

function hierarchy(reply: PlantReply, now: number, filtered: HealthState | undefined): HTMLElement {
  if (reply.sites.length === 0) {
    return h(
      'p',
      { class: 'muted plant-empty' },
      filtered
        ? `No asset is in state ${HEALTH_LABELS[filtered].toLowerCase()} now.`
        : 'No assets yet: import the registry (plantwatch cloud import assets) or connect a gateway.',
    );
  }
  return h(
    'div',
    { class: 'plant-sites' },
    ...reply.sites.map((site) =>
      h(
        'section',
        { class: 'plant-site', 'data-site': site.site, 'aria-label': `Site ${site.site}` },
        h('h2', {}, `Site ${site.site}`),
        ...site.areas.map((area) =>
          h(
            'section',
            { class: 'plant-area', 'data-area': area.area, 'aria-label': `Area ${area.area}` },
            h(
              'h3',
              {},
              area.area === 'unassigned' ? 'Unassigned (not in the registry)' : `Area ${area.area}`,
            ),
            h('ul', { class: 'asset-cards' }, ...area.assets.map((a) => assetCard(a, now))),
          ),
        ),
      ),
    ),
  );
}

const countsText = (counts: PlantReply['counts']): string =>
  HEALTH_STATES.map((s) => `${counts[s]} ${HEALTH_LABELS[s].toLowerCase()}`).join(' · ');

/** The plant overview: sites → areas → assets with their health now, filtered by health in the URL. */
export const plantView: View = async (root, route, ctx) => {
  ctx.setTitle('Plant');
  const requested = route.query.get('health');
  let health: HealthState | undefined = isHealthState(requested) ? requested : undefined;
  const site = route.query.get('site') ?? undefined;

  const counts = h('span', { class: 'plant-counts', 'aria-live': 'polite' });
  const select = h(
    'select',
    { id: 'filter-health', name: 'health' },
    h('option', { value: '' }, 'All states'),
    ...HEALTH_STATES.map((s) => h('option', { value: s }, HEALTH_LABELS[s])),
  );
  select.value = health ?? '';
  const error = alertBox('error');
  const body = h('div', { 'aria-busy': 'true' }, h('p', { class: 'muted' }, 'Loading…'));
  replaceChildren(
    root,
    h(
      'section',
      { class: 'plant-view', 'aria-labelledby': 'plant-heading' },
      h('h1', { id: 'plant-heading', tabindex: -1 }, 'Plant ', counts),
      site
        ? h(
            'p',
            { class: 'plant-scope' },
            `Site ${site} only · `,
            h('a', { href: hrefs.plant(new URLSearchParams(health ? { health } : {})) }, 'all sites'),
          )
        : null,
      h('form', { class: 'filters plant-filters', role: 'search' }, field('Health', select)),
      error,
      body,
    ),
  );

  let latest: PlantReply | undefined;
  const render = () => {
    const reply = latest;
    if (!reply) return;
    counts.textContent = countsText(reply.counts);
    // The options carry the counts too, so the filter says what each choice would show.
    const total = HEALTH_STATES.reduce((sum, s) => sum + reply.counts[s], 0);
    for (const option of select.options) {
      const state = option.value;
      option.textContent = isHealthState(state)
        ? `${HEALTH_LABELS[state]} (${reply.counts[state]})`
        : `All states (${total})`;
    }
    body.removeAttribute('aria-busy');
    replaceChildren(body, hierarchy(reply, Date.now(), health));
  };
  const refresh = async () => {
    try {
      latest = await api<PlantReply>(`/api/v1/plant${query({ health, site })}`, { signal: ctx.signal });
      error.show('');
      render();
    } catch (failure) {
      if (!isAbort(failure)) error.show(`Could not load the plant: ${errorMessage(failure)}`);
    }
  };
  select.addEventListener('change', () => {
    health = isHealthState(select.value) ? select.value : undefined;
    const search = new URLSearchParams();
    if (site) search.set('site', site);
    if (health) search.set('health', health);
    replaceQuery(search);
    void refresh();
  });
  const timer = setInterval(() => {
    if (!document.hidden) void refresh();
  }, REFRESH_MS);
  ctx.signal.addEventListener('abort', () => clearInterval(timer));
  await refresh();
};
