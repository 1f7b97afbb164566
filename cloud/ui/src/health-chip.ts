import { h } from './dom.js';
import { formatNumber, relativeTime } from './format.js';
import type { AssetHealth, HealthState } from './types.js';

/** Worst first, as the server counts them. */
export const HEALTH_STATES: readonly HealthState[] = ['alarm', 'watch', 'healthy', 'unknown'];

export const HEALTH_LABELS: Record<HealthState, string> = {
  alarm: 'Alarm',
  watch: 'Watch',
  healthy: 'Healthy',
  unknown: 'Unknown',
};

/** A shape as well as a colour and the word: the chip reads the same in greyscale and to a colour-blind eye. */
const SYMBOLS: Record<HealthState, string> = { alarm: '▲', watch: '◆', healthy: '●', unknown: '?' };

export const healthChip = (state: HealthState): HTMLSpanElement =>
  h(
    'span',
    { class: `badge health-chip health-${state}`, 'data-health': state },
    h('span', { 'aria-hidden': 'true' }, `${SYMBOLS[state]} `),
    HEALTH_LABELS[state],
  );

export const isHealthState = (value: string | null): value is HealthState =>
  value !== null && (HEALTH_STATES as readonly string[]).includes(value);

/** The asset's latest key values as label, value (with unit) and when: never a bucket mean. */
export function latestValues(
  asset: AssetHealth,
  now: number,
): { label: string; value: string; when: string }[] {
  const when = (at: string, channel: string) => `${channel} · ${relativeTime(at, now)}`;
  return [
    ...(asset.velocity
      ? [
          {
            label: 'Velocity RMS',
            value: `${formatNumber(asset.velocity.valueMmS)} mm/s`,
            when: when(asset.velocity.at, asset.velocity.channel),
          },
        ]
      : []),
    ...(asset.isoZone
      ? [
          {
            label: 'ISO 20816 zone',
            value: asset.isoZone.zone,
            when: when(asset.isoZone.at, asset.isoZone.channel),
          },
        ]
      : []),
    ...asset.readings.map((r) => ({
      label: r.channel,
      value: formatNumber(r.value, 4),
      when: relativeTime(r.at, now),
    })),
  ];
}

export const openTicketsText = (asset: AssetHealth): string =>
  asset.openTickets === 0
    ? 'No open tickets'
    : `${asset.openTickets} open ticket${asset.openTickets === 1 ? '' : 's'}` +
      (asset.highestOpenSeverity ? `, highest ${asset.highestOpenSeverity}` : '');
