import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttributeIds,
  type ClientSession,
  type DataValue,
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  VariantArrayType,
} from 'node-opcua';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_RAMP_S,
  MachineRun,
  type MachineState,
  machineStateAt,
  SCENARIOS,
} from './machine-scenarios.js';
import { startOpcuaSimulator } from './opcua-simulator.js';
import { seededRandom } from '../seeded-random.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'plantwatch-opcua-sim-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });

/** The rule the coolant-degradation scenario exists to trigger. */
const coolantRuleFires = (s: MachineState) =>
  s.spindleSpeedRpm > 100 && s.spindleTemperatureC > 65 && s.coolantFlowLpm < 12;

describe('machine scenarios', () => {
  it('coolant degradation crosses temperature > 65 °C and flow < 12 L/min together, well before the ramp ends', () => {
    const random = seededRandom(7);
    const states = Array.from({ length: DEFAULT_RAMP_S + 1 }, (_, s) => ({
      s,
      state: machineStateAt('coolant-degradation', s, DEFAULT_RAMP_S, random),
    }));
    const firstFiring = states.find(({ state }) => coolantRuleFires(state));
    expect(firstFiring).toBeDefined();
    expect(firstFiring?.s).toBeGreaterThan(0.4 * DEFAULT_RAMP_S);
    expect(firstFiring?.s).toBeLessThan(0.7 * DEFAULT_RAMP_S);
    // Once it fires it keeps firing: the fault does not heal itself.
    for (const { s, state } of states.filter(({ s }) => s >= 0.7 * DEFAULT_RAMP_S)) {
      expect(coolantRuleFires(state), `at ${s} s`).toBe(true);
    }
    const start = states[0]?.state;
    expect(start && coolantRuleFires(start)).toBe(false);
    const end = states.at(-1)?.state;
    expect(end?.coolantFlowLpm).toBeCloseTo(6, 0);
    expect(end?.spindleTemperatureC).toBeCloseTo(80, 0);
    expect(end?.motorCurrentA).toBeCloseTo(14, 0);
  });

  it('normal stays in its band for a long run', () => {
    const random = seededRandom(3);
    for (let s = 0; s < 3 * DEFAULT_RAMP_S; s += 0.5) {
      const state = machineStateAt('normal', s, DEFAULT_RAMP_S, random);
      expect(Math.abs(state.spindleSpeedRpm - 12_000)).toBeLessThanOrEqual(24);
      expect(Math.abs(state.spindleTemperatureC - 40)).toBeLessThanOrEqual(0.2);
      expect(Math.abs(state.coolantFlowLpm - 20)).toBeLessThanOrEqual(0.2);
      expect(Math.abs(state.motorCurrentA - 12)).toBeLessThanOrEqual(0.1);
      expect(state.bearingDefectSeverity).toBe(0);
      expect(state.droppedOut).toEqual([]);
    }
  });

  it('bearing defect grows with the ramp and warms the spindle', () => {
    const random = seededRandom(1);
    const at = (s: number) => machineStateAt('bearing-defect', s, 100, random);
    expect(at(0).bearingDefectSeverity).toBe(0);
    expect(at(50).bearingDefectSeverity).toBeCloseTo(0.5);
    expect(at(200).bearingDefectSeverity).toBe(1);
    expect(at(200).spindleTemperatureC).toBeCloseTo(55, 0);
  });

  it('sensor dropout fails temperature 10–20 s and flow 15–20 s of every 30 s, freezing the last good value', () => {
    const run = new MachineRun('sensor-dropout', DEFAULT_RAMP_S, 5);
    const expected = (inCycleS: number) => [
      ...(inCycleS >= 10 && inCycleS < 20 ? ['spindleTemperature'] : []),
      ...(inCycleS >= 15 && inCycleS < 20 ? ['coolantFlow'] : []),
    ];
    let previous: MachineState | undefined;
    for (let s = 0; s < 95; s += 0.25) {
      const state = run.stateAt(s);
      expect(state.droppedOut, `at ${s} s`).toEqual(expected(s % 30));
      if (previous && state.droppedOut.includes('spindleTemperature')) {
        expect(state.spindleTemperatureC).toBe(previous.spindleTemperatureC);
      }
      if (previous && state.droppedOut.includes('coolantFlow')) {
        expect(state.coolantFlowLpm).toBe(previous.coolantFlowLpm);
      }
      previous = state;
    }
    // Out of the window the sensor reads live values again, not the frozen one.
    const frozen = run.stateAt(19.9).spindleTemperatureC;
    const live = [20, 20.5, 21, 21.5].map((s) => run.stateAt(s).spindleTemperatureC);
    expect(live.some((v) => v !== frozen)).toBe(true);
  });

  it('replays sample for sample with the same seed', () => {
    for (const scenario of SCENARIOS) {
      const a = new MachineRun(scenario, 60, 42);
      const b = new MachineRun(scenario, 60, 42);
      const c = new MachineRun(scenario, 60, 43);
      const times = Array.from({ length: 50 }, (_, i) => i * 1.7);
      const runA = times.map((s) => a.stateAt(s));
      expect(times.map((s) => b.stateAt(s))).toEqual(runA);
      expect(times.map((s) => c.stateAt(s))).not.toEqual(runA);
    }
  });
});

describe('OPC-UA machine simulator', () => {
  it('serves the machine in namespace 1, with live values, a waveform and failed-sensor quality', async () => {
    const dir = tempDir();
    const simulator = await startOpcuaSimulator({
      port: await freePort(),
      pkiDir: join(dir, 'server-pki'),
      scenario: 'sensor-dropout',
      // 20× makes the temperature sensor fail 0.5 s of every 1.5 s, so the test sees it soon.
      speed: 20,
      updateIntervalMs: 50,
      seed: 9,
    });
    const client = OPCUAClient.create({
      applicationName: 'plantwatch-simulator-test',
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0 },
      clientCertificateManager: new OPCUACertificateManager({ rootFolder: join(dir, 'client-pki') }),
    });
    let session: ClientSession | undefined;
    try {
      expect(simulator.endpointUrl).toMatch(/^opc\.tcp:\/\/127\.0\.0\.1:\d+$/);
      expect(simulator.nodes.map((n) => n.nodeId)).toEqual([
        'ns=1;s=cnc-1.SpindleSpeed',
        'ns=1;s=cnc-1.SpindleTemperature',
        'ns=1;s=cnc-1.CoolantFlow',
        'ns=1;s=cnc-1.MotorCurrent',
        'ns=1;s=cnc-1.Vibration',
        'ns=1;s=cnc-1.VibrationSampleRate',
      ]);
      await client.connect(simulator.endpointUrl);
      session = await client.createSession();

      expect((await session.readNamespaceArray()).indexOf('urn:plantwatch:simulator')).toBe(1);

      const speed = await session.read({
        nodeId: 'ns=1;s=cnc-1.SpindleSpeed',
        attributeId: AttributeIds.Value,
      });
      expect(speed.statusCode).toBe(StatusCodes.Good);
      expect(speed.value.value as number).toBeGreaterThan(11_950);
      expect(speed.value.value as number).toBeLessThan(12_050);

      const vibration = await session.read({
        nodeId: 'ns=1;s=cnc-1.Vibration',
        attributeId: AttributeIds.Value,
      });
      expect(vibration.value.dataType).toBe(DataType.Float);
      expect(vibration.value.arrayType).toBe(VariantArrayType.Array);
      expect((vibration.value.value as Float32Array).length).toBe(8192);

      const translated = await session.translateBrowsePath({
        startingNode: 'i=85',
        relativePath: {
          elements: ['Machines', 'cnc-1', 'SpindleTemperature'].map((name) => ({
            referenceTypeId: 'i=33',
            isInverse: false,
            includeSubtypes: true,
            targetName: { namespaceIndex: 1, name },
          })),
        },
      });
      expect(translated.targets?.[0]?.targetId.toString()).toBe('ns=1;s=cnc-1.SpindleTemperature');

      const subscription = await session.createSubscription2({
        requestedPublishingInterval: 100,
        requestedMaxKeepAliveCount: 3,
        publishingEnabled: true,
      });
      const temperatures: DataValue[] = [];
      const item = await subscription.monitor(
        { nodeId: 'ns=1;s=cnc-1.SpindleTemperature', attributeId: AttributeIds.Value },
        { samplingInterval: 0, queueSize: 100, discardOldest: true },
        TimestampsToReturn.Both,
      );
      item.on('changed', (value: DataValue) => temperatures.push(value));
      // The subscription may start inside a failure window: look for a good-to-failed transition.
      const failureAfterGood = () =>
        temperatures.findIndex(
          (v, i) =>
            i > 0 &&
            v.statusCode === StatusCodes.BadSensorFailure &&
            temperatures[i - 1]?.statusCode === StatusCodes.Good,
        );
      const deadline = Date.now() + 5000;
      while (failureAfterGood() < 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const firstFailed = failureAfterGood();
      expect(firstFailed).toBeGreaterThan(0);
      const lastGood = temperatures[firstFailed - 1];
      expect(temperatures[firstFailed]?.value.value).toBe(lastGood?.value.value);

      // The subscription stays alive (keep-alives) but data stops: what the client source must detect.
      expect(simulator.silenceSubscriptions()).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
      const countAfterSilence = temperatures.length;
      let keepAlives = 0;
      subscription.on('keepalive', () => keepAlives++);
      await new Promise((r) => setTimeout(r, 1000));
      expect(temperatures.length).toBe(countAfterSilence);
      expect(keepAlives).toBeGreaterThan(0);
    } finally {
      await session?.close().catch(() => {});
      await client.disconnect();
      await simulator.stop();
    }
  });
});
