import { join } from 'node:path';
import fc from 'fast-check';
import { DataType, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import { type EdgeAgent, startEdgeAgent } from '../edge/agent.js';
import {
  HOSTILE_TYPES,
  type OpcuaSimulator,
  startOpcuaSimulator,
} from '../simulators/opcua/opcua-simulator.js';
import {
  removeTempDirs,
  silentLogger,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';

const SEED = Number(process.env.PLANTWATCH_FUZZ_SEED ?? 20_261_203);

let sim: OpcuaSimulator;
let cloud: RunningCloud;
let agent: EdgeAgent;

beforeAll(async () => {
  sim = await startOpcuaSimulator({ port: 0, pkiDir: join(tempDir(), 'sim-pki'), hostileTag: true });
  sim.pushHostile(new Variant({ dataType: DataType.Double, value: 20 }), StatusCodes.Good);
  cloud = await startTestCloud();
  const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
  agent = await startEdgeAgent(
    testEdgeConfig({
      cloud: { url: cloud.url, token },
      opcua: [
        {
          id: 'plc',
          url: sim.endpointUrl,
          publishingInterval: '100ms',
          nodes: HOSTILE_TYPES.map((type) => ({
            browsePath: `/Objects/1:Machines/1:cnc-1/1:Hostile${DataType[type]}`,
            assetId: 'cnc-1',
            channel: `hostile_${DataType[type].toLowerCase()}`,
            unit: 'degC',
          })),
        },
      ],
    }),
    silentLogger(),
  );
}, 60_000);
afterAll(async () => {
  await agent?.stop();
  await cloud?.stop();
  await sim?.stop();
  removeTempDirs();
});

/** What a broken PLC puts in a tag: wrong types, NaN, huge arrays, and bad or uncertain status codes. */
const hostileVariant: fc.Arbitrary<[Variant, typeof StatusCodes.Good]> = fc.tuple(
  fc.oneof(
    fc
      .constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY)
      .map((value) => new Variant({ dataType: DataType.Double, value })),
    fc
      .string({ unit: 'binary', maxLength: 50 })
      .map((value) => new Variant({ dataType: DataType.String, value })),
    fc.boolean().map((value) => new Variant({ dataType: DataType.Boolean, value })),
    fc
      .uint8Array({ maxLength: 64 })
      .map((b) => new Variant({ dataType: DataType.ByteString, value: Buffer.from(b) })),
    fc.date({ noInvalidDate: true }).map((value) => new Variant({ dataType: DataType.DateTime, value })),
    fc.integer({ min: 2, max: 200_000 }).map(
      (n) =>
        new Variant({
          dataType: DataType.Double,
          arrayType: VariantArrayType.Array,
          value: new Float64Array(n).fill(Number.NaN),
        }),
    ),
  ),
  fc.constantFrom(
    StatusCodes.Good,
    StatusCodes.BadSensorFailure,
    StatusCodes.BadCommunicationError,
    StatusCodes.UncertainLastUsableValue,
    StatusCodes.BadOutOfService,
  ),
);

const hostileReadings = (a: EdgeAgent) =>
  a.status().sources.find((s) => s.id === 'plc') as { accepted: number; rejected: number; state: string };

describe('OPC-UA fuzz', () => {
  it('counts wrong types, NaN, huge arrays and bad status codes from a PLC, raises no ticket and keeps reading', async () => {
    await waitFor(() => hostileReadings(agent).accepted > 0, 'the first good value').catch((e: unknown) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify(agent.status().sources)}`);
    });
    const values = fc.sample(hostileVariant, { seed: SEED, numRuns: 30 });
    for (const [variant, status] of values) {
      sim.pushHostile(variant, status);
      // One publishing interval and a bit: each value reaches the agent on its own.
      await new Promise((r) => setTimeout(r, 150));
    }
    const afterFuzz = agent.status().counters.readings;
    sim.pushHostile(new Variant({ dataType: DataType.Double, value: 21.5 }), StatusCodes.Good);
    await waitFor(() => agent.status().counters.readings > afterFuzz, 'a good value after the fuzz');

    const source = hostileReadings(agent);
    console.log(`fuzz OPC-UA (seed ${SEED}): ${values.length} hostile values; ${JSON.stringify(source)}`);
    expect(source.state).toBe('connected');
    expect(source.rejected).toBeGreaterThan(values.length / 3);
    // Garbage never becomes a ticket: nothing entered the outbox.
    expect(agent.status().outbox).toMatchObject({ lastSeq: 0 });
    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    const counted = [
      ...metrics.matchAll(/^plantwatch_edge_rejected_messages_total\{source="plc"[^}]*\} (\d+)/gm),
    ];
    expect(counted.reduce((sum, m) => sum + Number(m[1]), 0)).toBe(source.rejected);
  }, 90_000);
});
