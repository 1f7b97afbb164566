import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import { type EdgeAgent, startEdgeAgent } from '../edge/agent.js';
import type { Ticket } from '../shared/schema/index.js';
import type { FaultKind } from '../simulators/vibration/machine-model.js';
import { type RunningSimulator, startVibrationSimulator } from '../simulators/vibration/publisher.js';
import {
  removeTempDirs,
  silentLogger,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';
import { cloudJson, cloudTickets } from './helpers/cloud-client.js';
import { rulesDir } from './helpers/rules.js';

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  removeTempDirs();
});

async function cloudWithToken(port = 0): Promise<{ cloud: RunningCloud; token: string }> {
  const cloud = await startTestCloud({ port });
  running.push(cloud);
  return { cloud, token: await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] }) };
}

async function edge(cloudUrl: string, token: string): Promise<EdgeAgent> {
  const agent = await startEdgeAgent(testEdgeConfig({ cloud: { url: cloudUrl, token } }), silentLogger());
  running.push(agent);
  return agent;
}

/** A fault that is fully developed after 5 simulated seconds, played 20× faster than real time. */
async function simulate(
  agent: EdgeAgent,
  fault: FaultKind,
  frames: number,
  rampS = 5,
  options: { channel?: string; speed?: number; seed?: number } = {},
): Promise<RunningSimulator> {
  const simulator = await startVibrationSimulator({
    brokerUrl: agent.brokerUrl,
    topicPrefix: 'plantwatch',
    assetId: 'pump-1',
    channel: options.channel ?? 'de-accel',
    fault,
    rpm: 1780,
    sampleRateHz: 12_800,
    samplesPerFrame: 4096,
    rampS,
    speed: options.speed ?? 20,
    frames,
    seed: options.seed ?? 7,
  });
  running.push(simulator);
  return simulator;
}

/**
 * All the frames sent and handled. Frames come faster than a loaded machine analyses them: some may
 * be superseded (counted), none lost silently.
 */
async function simulateAll(agent: EdgeAgent, fault: FaultKind, frames: number): Promise<void> {
  const simulator = await simulate(agent, fault, frames);
  await simulator.done;
  await waitFor(() => {
    const { waveforms, dropped } = agent.status().counters;
    return waveforms + dropped >= frames && waveforms > 0;
  }, 'all frames analysed or superseded');
}

/** The shipped unbalance rule with short pending and keep-firing periods, for a test in real time. */
const QUICK_UNBALANCE = `rules:
  - id: unbalance
    title: Unbalance (1× dominant)
    when: finding.unbalance >= 0.5
    clearWhen: finding.unbalance < 0.2
    for: 2s
    keepFiring: 2s
    severity: medium
    fault: unbalance
    action: SOP-VIB-02
`;

const firstCloudTickets = (cloud: RunningCloud, what = 'a ticket in the cloud'): Promise<Ticket[]> =>
  waitFor(async () => {
    const tickets = await cloudTickets(cloud);
    return tickets.length > 0 && tickets;
  }, what);

describe('end to end: simulator → MQTT → edge → outbox → cloud', () => {
  it('raises one ticket for an unbalanced machine: the diagnosis, carrying the ISO zone as folded evidence', async () => {
    const { cloud, token } = await cloudWithToken();
    const agent = await edge(cloud.url, token);
    await simulate(agent, 'unbalance', 0);
    // The zone rule fires first (zone C, then D); once the diagnosis names the cause, the zone is
    // folded into the unbalance ticket as severity evidence (zone D: high).
    const unbalance = await waitFor(
      async () =>
        (await cloudTickets(cloud)).find(
          (t) =>
            t.fault === 'unbalance' &&
            t.severity === 'high' &&
            t.contributors?.some((c) => c.rule.id === 'velocity-iso-zone' && c.folded && c.active),
        ),
      'the unbalance ticket with the zone folded in',
    );
    expect(unbalance).toMatchObject({
      gatewayId: 'gw-test',
      site: 'test-site',
      assetId: 'pump-1',
      status: 'new',
      condition: 'active',
      priority: 'P2',
      rule: { id: 'unbalance' },
    });
    expect(unbalance.title).toMatch(/^pump-1: Unbalance \(1× dominant\), confidence \d+ %$/);
    expect(unbalance.evidence.finding?.fault).toBe('unbalance');
    expect(unbalance.evidence.confidence).toBeGreaterThanOrEqual(0.5);
    expect(unbalance.evidence.agentVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(unbalance.evidence.configHash).toMatch(/^[0-9a-f]{16}$/);
    // The velocity spectrum snapshot's highest line is the 1× running speed (29.7 Hz), marked as such.
    const snapshot = unbalance.evidence.spectrum!;
    expect(snapshot.unit).toBe('mm/s');
    expect(snapshot.marks?.[0]?.label).toBe('1×');
    expect(snapshot.marks?.[0]?.hz).toBeCloseTo(1780 / 60, 3);
    const peakHz = snapshot.amplitudes.indexOf(Math.max(...snapshot.amplitudes)) * snapshot.binHz;
    expect(Math.abs(peakHz - 1780 / 60)).toBeLessThan(snapshot.binHz);
    const zone = unbalance.contributors!.find((c) => c.rule.id === 'velocity-iso-zone')!;
    expect(zone.summary).toMatch(/^de-accel: zone D \(\d+(\.\d+)? mm\/s\)$/);
    expect(zone.folded?.reason).toContain('explained by unbalance diagnosed on pump-1');
    expect(unbalance.evidence.reasoning.at(-1)).toMatch(/^folded in: velocity-iso-zone on de-accel: zone D/);
    // The zone's own ticket, raised before the diagnosis came, went into it: closed as its duplicate.
    await waitFor(() => agent.status().outbox.pending === 0, 'the outbox to drain');
    const others = (await cloudTickets(cloud)).filter((t) => t.id !== unbalance.id);
    for (const t of others) {
      expect(t).toMatchObject({
        rule: { id: 'velocity-iso-zone' },
        foldedInto: unbalance.id,
        status: 'duplicate',
      });
    }
    expect(agent.status().openTickets).toBe(1);
    expect(agent.status().outbox.ackedSeq).toBe(agent.status().outbox.lastSeq);
  });

  it('keeps one ticket while one of two accelerometers still sees the fault', async () => {
    const { cloud, token } = await cloudWithToken();
    const agent = await startEdgeAgent(
      testEdgeConfig({
        cloud: { url: cloud.url, token },
        rulesDir: rulesDir({ 'unbalance.yaml': QUICK_UNBALANCE }),
      }),
      silentLogger(),
    );
    running.push(agent);
    // Real time (speed 1): the data clock of the replacement simulator continues where the first stopped.
    const sensor = (channel: string, fault: FaultKind) =>
      simulate(agent, fault, 0, 0, { channel, speed: 1, seed: channel === 'de-accel' ? 7 : 8 });
    await sensor('de-accel', 'unbalance');
    const nde = await sensor('nde-accel', 'unbalance');
    const both = await waitFor(async () => {
      const [ticket] = await cloudTickets(cloud);
      const active = ticket?.contributors?.filter((c) => c.active).map((c) => c.channel) ?? [];
      return active.length === 2 && ticket;
    }, 'one ticket with both channels firing');
    // The non-drive end is repaired (healthy now); the drive end stays unbalanced.
    await nde.stop();
    await sensor('nde-accel', 'healthy');
    const after = await waitFor(async () => {
      const ticket = (await cloudTickets(cloud)).find((t) => t.id === both.id);
      return ticket?.contributors?.some((c) => c.channel === 'nde-accel' && !c.active) && ticket;
    }, 'the non-drive end cleared on the ticket');
    await waitFor(() => agent.status().outbox.pending === 0, 'the outbox to drain');
    const tickets = await cloudTickets(cloud);
    expect(tickets.map((t) => [t.id, t.condition])).toEqual([[both.id, 'active']]);
    expect(after.previousTicketId).toBeUndefined();
    expect(
      after.contributors
        ?.map((c) => [c.rule.id, c.channel, c.active])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    ).toEqual([
      ['unbalance', 'de-accel', true],
      ['unbalance', 'nde-accel', false],
    ]);
    expect(after.contributors?.find((c) => c.channel === 'nde-accel')?.clearedAt).toBeDefined();
  });

  it('raises a ticket for an outer-race defect (impacts at BPFO)', async () => {
    const { cloud, token } = await cloudWithToken();
    const agent = await edge(cloud.url, token);
    await simulate(agent, 'outer-race', 0);
    const [ticket] = await firstCloudTickets(cloud);
    expect(ticket?.rule.id).toBe('impulsive-vibration');
    expect(ticket?.evidence.triggeringValues[0]?.value).toBeGreaterThan(6);
  });

  it("makes a waveform's evidence only for a ticket change, not for each update an open ticket throttles", async () => {
    const { cloud, token } = await cloudWithToken();
    const agent = await edge(cloud.url, token);
    // 120 frames of 0.32 s with the defect developed after 5 s: the tickets open early, and the
    // frames after are seen again within the ticket update interval (60 s of wall clock).
    await simulateAll(agent, 'outer-race', 120);
    await firstCloudTickets(cloud);
    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    const total = (name: string) =>
      [...metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm'))].reduce(
        (sum, m) => sum + Number(m[1]),
        0,
      );
    const outcomes = total('plantwatch_edge_rule_outcomes_total');
    const events = total('plantwatch_edge_ticket_events_total');
    const fetched = total('plantwatch_edge_waveform_evidence_fetched_total');
    expect(events).toBeGreaterThan(0);
    // Every committed change read its evidence (fetched once per waveform at most)…
    expect(fetched).toBeGreaterThan(0);
    expect(fetched).toBeLessThanOrEqual(events);
    // …and the many outcomes an open ticket throttles fetched none.
    expect(outcomes).toBeGreaterThan(2 * events);
    const opened = (await cloudTickets(cloud))[0]!;
    expect(opened.evidence.triggeringValues.length).toBeGreaterThan(0);
  });

  it('raises nothing for a healthy machine', async () => {
    const { cloud, token } = await cloudWithToken();
    const agent = await edge(cloud.url, token);
    // 120 frames of 0.32 s: 38 simulated seconds, well past every rule's pending period.
    await simulateAll(agent, 'healthy', 120);
    const status = agent.status();
    expect(status.latestFeatures[0]?.velocityRmsMmS).toBeLessThan(2.8);
    expect(status.outbox.lastSeq).toBe(0);
    expect(await cloudTickets(cloud)).toEqual([]);
  });

  it('delivers the ticket exactly once when the cloud is down while the fault develops', async () => {
    // Start the cloud once to learn a free port and create the token, then take it down.
    const db = join(tempDir(), 'cloud.db');
    const first = await startTestCloud({ db });
    const token = await first.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
    const { port } = new URL(first.url);
    await first.stop();

    const agent = await edge(first.url, token);
    await simulate(agent, 'unbalance', 0);
    await waitFor(() => agent.status().outbox.lastSeq >= 1, 'a ticket committed to the outbox while offline');
    await waitFor(() => agent.status().replication.failedAttempts >= 2, 'replication retrying');
    expect(agent.status().outbox.pending).toBeGreaterThanOrEqual(1);

    const revived = await startTestCloud({ port: Number(port), db });
    running.push(revived);
    await waitFor(
      async () => (await cloudTickets(revived)).length > 0 && agent.status().outbox.pending === 0,
      'delivery',
    );
    const tickets = await cloudTickets(revived);
    expect(tickets).toHaveLength(1);
    const gateways = (await cloudJson(revived, '/api/v1/gateways')) as {
      gateways: { ackedSeq: number; eventsReceived: number }[];
    };
    expect(gateways.gateways[0]?.eventsReceived).toBe(gateways.gateways[0]?.ackedSeq);
    expect(gateways.gateways[0]?.ackedSeq).toBe(agent.status().outbox.lastSeq);
  });

  it('raises the ticket on the next window when committing it failed (disk full), not never', async () => {
    const { cloud, token } = await cloudWithToken();
    const agent = await edge(cloud.url, token);
    // SQLite's disk-full error cannot be produced on demand here; the first commit is made to fail as it would.
    const failOnce = vi.spyOn(agent.outbox, 'transaction').mockImplementationOnce(() => {
      throw new Error('SQLITE_FULL: database or disk is full');
    });
    await simulate(agent, 'unbalance', 0);
    const tickets = await firstCloudTickets(cloud, 'a ticket in the cloud despite the failed commit');
    expect(failOnce).toHaveBeenCalled();
    expect(tickets).toHaveLength(1);
    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    expect(metrics).toContain('plantwatch_edge_ticket_write_failures_total 1');
  });

  it('does not raise the same problem again after an agent restart', async () => {
    const { cloud, token } = await cloudWithToken();
    const config = testEdgeConfig({ cloud: { url: cloud.url, token } });
    const first = await startEdgeAgent(config, silentLogger());
    const sim = await simulate(first, 'unbalance', 0);
    await waitFor(() => first.status().outbox.ackedSeq >= 1, 'the ticket delivered');
    await sim.stop();
    await first.stop();

    const second = await startEdgeAgent(
      { ...config, mqtt: { ...config.mqtt, embedded: { ...config.mqtt.embedded, port: 0 } } },
      silentLogger(),
    );
    running.push(second);
    expect(second.status().openTickets).toBe(1);
    // The machine is still unbalanced when the agent comes back.
    await simulate(second, 'unbalance', 40, 0).then((s) => s.done);
    await waitFor(() => {
      const { waveforms, dropped } = second.status().counters;
      return waveforms + dropped >= 40 && waveforms > 0;
    }, 'the fault seen again after the restart');
    const tickets = await cloudTickets(cloud);
    expect(tickets).toHaveLength(1);
    expect(second.status().openTickets).toBe(1);
  });
});
