/**
 * Who may publish and subscribe what on the embedded broker. Topics are
 * `<prefix>/<asset>/<channel>/waveform|reading` (sensors) and `<prefix>/alerts/...` (the agent's
 * ticket states for local displays).
 */
export type BrokerClient =
  | { kind: 'agent' }
  /** Only where the config lets clients in without a login (loopback without users). */
  | { kind: 'anonymous' }
  | { kind: 'device'; username: string; assets: readonly string[] };

/** Why a client was refused; the label of `plantwatch_edge_mqtt_refused_total`. */
export type RefusalReason =
  | 'missing_credentials'
  | 'bad_credentials'
  | 'publish_alerts'
  | 'publish_other_asset'
  | 'publish_outside_prefix'
  | 'subscribe_forbidden'
  | 'packet_too_large';

const mayUseAsset = (client: { assets: readonly string[] }, asset: string) =>
  client.assets.includes('*') || client.assets.includes(asset);

/** The reason a publish on `topic` is refused, or undefined when it is allowed. */
export function publishRefusal(
  client: BrokerClient,
  prefix: string,
  topic: string,
): RefusalReason | undefined {
  if (client.kind === 'agent') return undefined;
  const levels = topic.split('/');
  const underPrefix = topic.startsWith(`${prefix}/`);
  const asset = underPrefix ? levels[prefix.split('/').length] : undefined;
  // Only the agent raises alarms: a forged "critical" on a local display is worse than none.
  if (asset === 'alerts') return 'publish_alerts';
  if (client.kind === 'anonymous') return undefined;
  if (!underPrefix || asset === undefined) return 'publish_outside_prefix';
  return mayUseAsset(client, asset) ? undefined : 'publish_other_asset';
}

/**
 * The reason a subscription to `filter` is refused, or undefined. A device may follow the alerts
 * and its own assets' topics; it may not read the whole plant's sensor data.
 */
export function subscribeRefusal(
  client: BrokerClient,
  prefix: string,
  filter: string,
): RefusalReason | undefined {
  if (client.kind !== 'device') return undefined;
  if (!filter.startsWith(`${prefix}/`)) return 'subscribe_forbidden';
  const asset = filter.split('/')[prefix.split('/').length];
  if (asset === 'alerts') return undefined;
  if (client.assets.includes('*')) return undefined;
  if (asset === undefined || asset === '+' || asset === '#') return 'subscribe_forbidden';
  return mayUseAsset(client, asset) ? undefined : 'subscribe_forbidden';
}
