/**
 * How early the shipped rules warn of a scenario's failure: the scenario runs end to end in this
 * process (waveforms over MQTT → edge agent → outbox → cloud), as fast as the agent analyses, and
 * the cloud's tickets are read back against the scenario's known onset and failure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { startCloud } from '../../cloud/server.js';
import { startEdgeAgent } from '../../edge/agent.js';
import { resolveEdgeConfig } from '../../edge/config.js';
import { createLogger } from '../../shared/log.js';
import type { TicketView } from '../../shared/schema/index.js';
import type { Scenario } from './scenario-file.js';
import { publishScenario } from './scenario-publisher.js';
import { waveformCount } from './scenario-waveforms.js';

const HOUR_MS = 3_600_000;
/** The goal: a predicted ticket at least this long before failure. */
export const LEAD_TIME_GOAL_H = 24;

export interface TicketTiming {
  ruleId: string;
  fault: string;
  predicted: boolean;
  /** Simulated hours since the scenario's start at which the ticket was first raised. */
  atH: number;
  /** Hours before failure (negative: after it). */
  leadH: number;
  /** A generic condition folded into this diagnosed ticket (an ISO zone): it raised no ticket of its own. */
  foldedInto?: string;
}

export interface LeadTimeReport {
  scenario: string;
  fault: string;
  onsetH: number;
  failureH: number;
  waveforms: number;
  firstPredicted?: TicketTiming;
  firstFired?: TicketTiming;
  /** Tickets raised before the defect existed: false alarms. */
  ticketsBeforeOnset: TicketTiming[];
  tickets: TicketTiming[];
  /** A predicted ticket ≥ 24 simulated hours before failure and none before onset. */
  meetsGoal: boolean;
  wallSeconds: number;
}

export interface LeadTimeOptions {
  logger?: Logger;
  /** Waveforms published ahead of the agent's analysis (default 2). */
  inFlight?: number;
  onProgress?: (done: number, total: number) => void;
}

const round1 = (x: number) => Math.round(x * 10) / 10;

export function ticketTiming(ticket: TicketView, startMs: number, failureMs: number): TicketTiming {
  const atMs = Date.parse(ticket.firstSeen) - startMs;
  return {
    ruleId: ticket.rule.id,
    fault: ticket.fault,
    predicted: ticket.prediction !== undefined,
    atH: round1(atMs / HOUR_MS),
    leadH: round1((failureMs - atMs) / HOUR_MS),
  };
}

/**
 * A ticket's timing, and those of the generic conditions folded into it that never had a ticket of
 * their own: when each rule first saw the problem, whichever ticket carries it.
 */
export function ruleTimings(ticket: TicketView, startMs: number, failureMs: number): TicketTiming[] {
  const folded = (ticket.contributors ?? []).filter((c) => c.folded && !c.folded.fromTicketId);
  return [
    ticketTiming(ticket, startMs, failureMs),
    ...folded.map((c) => {
      const atMs = Date.parse(c.since) - startMs;
      return {
        ruleId: c.rule.id,
        fault: c.fault,
        predicted: false,
        atH: round1(atMs / HOUR_MS),
        leadH: round1((failureMs - atMs) / HOUR_MS),
        foldedInto: ticket.id,
      };
    }),
  ];
}

/** Runs the scenario through a fresh edge agent and cloud and times the tickets it raises. */
export async function measureLeadTime(
  scenario: Scenario,
  options: LeadTimeOptions = {},
): Promise<LeadTimeReport> {
  const wallStart = Date.now();
  const logger = options.logger ?? createLogger('lead-time', 'silent');
  const dir = mkdtempSync(join(tmpdir(), 'plantwatch-lead-time-'));
  const stops: (() => Promise<void>)[] = [];
  try {
    const cloud = await startCloud({ host: '127.0.0.1', port: 0, db: join(dir, 'cloud.db'), logger });
    stops.push(() => cloud.stop());
    const gatewayId = 'gw-lead-time';
    const token = await cloud.store.access.createGatewayToken(gatewayId, { sites: ['lead-time'] });
    const config = resolveEdgeConfig(
      {
        gatewayId,
        site: 'lead-time',
        dataDir: join(dir, 'edge'),
        http: { port: 0 },
        mqtt: { embedded: { port: 0 } },
        telemetry: { enabled: false },
        tickets: { updateInterval: '1h' },
        cloud: { url: cloud.url, token, retryInitial: '50ms', retryMax: '1s' },
        assets: [{ id: scenario.assetId, rpm: scenario.rpm, bearing: scenario.bearingId }],
        // The data clock runs weeks ahead of the wall clock: let the input accept the whole run.
        input: { maxFutureSkew: `${Math.ceil(scenario.failureMs / 86_400_000) + 1}d` },
      },
      dir,
    );
    const agent = await startEdgeAgent(config, logger);
    stops.unshift(() => agent.stop());

    // The data clock starts now and runs ahead of the wall clock, so no channel ever looks silent.
    const startMs = Date.now();
    const total = waveformCount(scenario);
    const inFlight = options.inFlight ?? 2;
    const analysed = () => agent.status().counters.waveforms;
    await publishScenario(scenario, {
      brokerUrl: agent.brokerUrl,
      topicPrefix: config.mqtt.topicPrefix,
      speed: Infinity,
      startTimeMs: startMs,
      afterPublish: async ({ index }) => {
        await until(() => analysed() > index - inFlight, `waveform ${index - inFlight} analysed`);
        options.onProgress?.(index + 1, total);
      },
    });
    await until(() => analysed() >= total, 'every waveform analysed');
    await until(() => agent.status().outbox.pending === 0, 'the outbox drained to the cloud', 60_000);

    const page = await cloud.store.review.list({ sort: 'newest', limit: 500 });
    const tickets = page.tickets
      .flatMap((t) => ruleTimings(t, startMs, scenario.failureMs))
      .sort((a, b) => a.atH - b.atH);
    const onsetH = scenario.onsetMs / HOUR_MS;
    const firstPredicted = tickets.find((t) => t.predicted);
    const firstFired = tickets.find((t) => !t.predicted);
    const ticketsBeforeOnset = tickets.filter((t) => t.atH < onsetH);
    return {
      scenario: scenario.name,
      fault: scenario.fault,
      onsetH: round1(onsetH),
      failureH: round1(scenario.failureMs / HOUR_MS),
      waveforms: total,
      ...(firstPredicted ? { firstPredicted } : {}),
      ...(firstFired ? { firstFired } : {}),
      ticketsBeforeOnset,
      tickets,
      meetsGoal:
        firstPredicted !== undefined &&
        firstPredicted.leadH >= LEAD_TIME_GOAL_H &&
        ticketsBeforeOnset.length === 0,
      wallSeconds: round1((Date.now() - wallStart) / 1000),
    };
  } finally {
    for (const stop of stops) await stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  }
}

async function until(probe: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline)
      throw new Error(`lead-time run: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
