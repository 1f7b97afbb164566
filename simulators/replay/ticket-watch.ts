import type { MqttClient } from 'mqtt';
import { LOCAL_ALERT_SCHEMA, type LocalAlert } from '../../edge/alerts/local-alerts.js';

/** A ticket the agent announced on its alerts topic while the replay ran. */
export interface SeenTicket {
  ticketId: string;
  assetId: string;
  fault: LocalAlert['fault'];
  severity: LocalAlert['severity'];
  state: LocalAlert['state'];
  reason: LocalAlert['reason'];
  title: string;
}

export interface TicketWatch {
  /** Tickets announced since the watch began, in arrival order (a ticket again when its state changed). */
  seen(): SeenTicket[];
}

/**
 * Someone replaying a recording wants to see what the agent made of it. The agent announces every
 * ticket state change on `<prefix>/alerts/<site>/<asset>/<ticket>` of the same broker, so the replay
 * listens there. Retained messages are alerts that were active before the replay began: not news.
 */
export async function watchTickets(client: MqttClient, topicPrefix: string): Promise<TicketWatch> {
  const seen: SeenTicket[] = [];
  client.on('message', (topic, payload, packet) => {
    if (packet.retain || !topic.startsWith(`${topicPrefix}/alerts/`) || payload.length === 0) return;
    const ticket = parseAlert(payload);
    if (ticket) seen.push(ticket);
  });
  await client.subscribeAsync(`${topicPrefix}/alerts/#`, { qos: 1 });
  return { seen: () => [...seen] };
}

function parseAlert(payload: Buffer): SeenTicket | undefined {
  let alert: Partial<LocalAlert>;
  try {
    alert = JSON.parse(payload.toString('utf8')) as Partial<LocalAlert>;
  } catch {
    return undefined;
  }
  if (alert.schema !== LOCAL_ALERT_SCHEMA || typeof alert.ticketId !== 'string') return undefined;
  return {
    ticketId: alert.ticketId,
    assetId: String(alert.assetId),
    fault: alert.fault as SeenTicket['fault'],
    severity: alert.severity as SeenTicket['severity'],
    state: alert.state as SeenTicket['state'],
    reason: alert.reason as SeenTicket['reason'],
    title: String(alert.title),
  };
}

// The title already names the asset.
export const formatSeenTicket = (t: SeenTicket): string =>
  `ticket ${t.reason.replace('_', ' ')} [${t.severity}]: ${t.title} (${t.fault}, ${t.ticketId})`;
