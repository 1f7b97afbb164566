import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AttributeIds, MessageSecurityMode, OPCUAClient, SecurityPolicy, StatusCodes } from 'node-opcua';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdgeAgent } from '../edge/agent.js';
import {
  startOpcuaReplayServer,
  replayChannels,
  edgeConfigFragment,
} from '../simulators/replay/opcua-replay-server.js';
import { loadRecordings } from '../simulators/replay/recording-sources.js';
import { startReplay } from '../simulators/replay/replay-publisher.js';
import { BEARING_DATA } from './helpers/bearing-data.js';
import { runCli } from './helpers/processes.js';
import {
  removeTempDirs,
  silentLogger,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';

const OUTER = join(BEARING_DATA, 'cwru-dev', 'outer_007_1hp_131.f32');

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  removeTempDirs();
});

const fileFloats = (path: string): Float32Array => {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

describe('replay into OPC-UA', () => {
  it('serves each frame on a Float array node that a real edge agent subscribes to and analyses', async () => {
    const recordings = await loadRecordings(OUTER, { fs: 12_000, rpm: 1773, asset: 'pump-7', channel: 'de' });
    const server = await startOpcuaReplayServer({
      port: 0,
      channels: replayChannels(recordings).channels,
      topicPrefix: 'plantwatch',
      pkiDir: join(tempDir(), 'replay-pki'),
    });
    running.push(server);
    const [node] = server.nodes;
    expect(server.nodes).toHaveLength(1);
    expect(node).toMatchObject({
      waveformNodeId: 'ns=1;s=pump-7.de.Waveform',
      sampleRateNodeId: 'ns=1;s=pump-7.de.SampleRateHz',
      rpmNodeId: 'ns=1;s=pump-7.de.Rpm',
      waveformBrowsePath: '/Objects/1:Replay/1:pump-7/1:de/1:Waveform',
    });
    expect(edgeConfigFragment(server.endpointUrl, server.nodes, 'g')).toContain(
      '      - nodeId: ns=1;s=pump-7.de.Waveform\n        assetId: pump-7\n        channel: de\n' +
        '        waveform: { sampleRateHz: 12000, unit: g }',
    );

    const cloud = await startTestCloud();
    running.push(cloud);
    const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
    const agent = await startEdgeAgent(
      testEdgeConfig({
        cloud: { url: cloud.url, token },
        assets: [{ id: 'pump-7', rpm: 1773 }],
        opcua: [
          {
            id: 'replay',
            url: server.endpointUrl,
            publishingInterval: '50ms',
            nodes: [
              {
                nodeId: node!.waveformNodeId,
                assetId: 'pump-7',
                channel: 'de',
                waveform: { sampleRateHz: 12_000, unit: 'g' },
                // 0: report every change (the server pushes each frame) rather than sample the node.
                samplingInterval: '0ms',
              },
            ],
          },
        ],
      }),
      silentLogger(),
    );
    running.push(agent);
    // Subscribed before the first frame, or a fast replay is over before anyone listens.
    await waitFor(
      () => agent.status().sources.find((s) => s.id === 'replay')?.state === 'connected',
      'the agent to connect to the replay server',
    );

    const startTimeMs = Date.now();
    const summary = await startReplay(server, {
      recordings,
      topicPrefix: 'plantwatch',
      unit: 'g',
      frame: 4096,
      // 2 s of data in 0.1 s: 6 frames 17 ms apart, faster than the 50 ms publishing interval.
      speed: 20,
      loops: 1,
      startTimeMs,
    }).done;
    expect(summary).toMatchObject({ frames: 6, samples: 24_000, refused: 0, loops: 1 });

    // At this speed several frames land in one publishing interval; the subscription's queue may or
    // may not carry them all, so the check is on what the agent analysed, not on every frame.
    const features = await waitFor(() => {
      const status = agent.status();
      return (
        status.counters.waveforms > 0 &&
        status.latestFeatures.find((f) => f.assetId === 'pump-7' && f.channel === 'de')
      );
    }, 'the agent to analyse a replayed waveform');
    expect(features.sampleRateHz).toBe(12_000);
    expect(agent.status().counters.waveforms).toBeLessThanOrEqual(6);
    // The source timestamp is the frame's data-clock time, 4096/12 000 s per frame from the start.
    const frameTimes = [0, 1, 2, 3, 4, 5].map((i) => Math.round(startTimeMs + (i * 4096 * 1000) / 12_000));
    expect(features.windowStart).toBeGreaterThanOrEqual(startTimeMs);
    expect(features.windowEnd).toBeLessThanOrEqual(startTimeMs + 2000);

    // A plain client reading afterwards finds the last frame, the 3520-sample tail, as float32.
    const client = OPCUAClient.create({
      endpointMustExist: false,
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      connectionStrategy: { maxRetry: 0 },
    });
    running.push({ stop: () => client.disconnect() });
    await client.connect(server.endpointUrl);
    const session = await client.createSession();
    running.push({ stop: () => session.close() });
    const [waveform, sampleRate, rpm] = await session.read(
      [node!.waveformNodeId, node!.sampleRateNodeId, node!.rpmNodeId].map((nodeId) => ({
        nodeId,
        attributeId: AttributeIds.Value,
      })),
    );
    expect(waveform!.statusCode).toBe(StatusCodes.Good);
    expect(waveform!.value.value).toBeInstanceOf(Float32Array);
    expect(waveform!.value.value).toEqual(fileFloats(OUTER).subarray(5 * 4096));
    expect(waveform!.sourceTimestamp?.getTime()).toBe(frameTimes[5]);
    expect(sampleRate!.value.value).toBe(12_000);
    expect(rpm!.value.value).toBe(1773);
    console.log(`replay into OPC-UA at 20x: ${JSON.stringify(agent.status().counters)}`);
  }, 30_000);

  it('refuses --opcua together with an explicit --broker, and --pki-dir without --opcua', async () => {
    const both = await runCli(['replay', OUTER, '--fs', '12000', '--opcua', '0', '--broker', 'mqtt://x:1']);
    expect(both.code).not.toBe(0);
    expect(both.output).toContain("option '--opcua <port>' cannot be used with option '--broker <url>'");
    const pki = await runCli(['replay', OUTER, '--fs', '12000', '--pki-dir', tempDir()]);
    expect(pki.code).toBe(1);
    expect(pki.output).toContain('--pki-dir is for the OPC-UA server; add --opcua <port>');
  });
});
