import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { parse as parseYaml } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { type EdgeAgent, startEdgeAgent } from '../edge/agent.js';
import type { EdgeConfigFile } from '../edge/config.js';
import { startEmbeddedBroker } from '../edge/sources/mqtt/embedded-broker.js';
import { packageRoot } from '../shared/paths.js';
import { formatProgress, ProgressWriter, type ReplayProgress } from '../simulators/replay/progress-bar.js';
import {
  loadRecordings,
  parseCsvTable,
  parseIndex,
  ReplayInputError,
} from '../simulators/replay/recording-sources.js';
import { frameBounds, planFrames } from '../simulators/replay/replay-plan.js';
import { type ReplaySummary, startReplay } from '../simulators/replay/replay-publisher.js';
import type { SeenTicket } from '../simulators/replay/ticket-watch.js';
import { BEARING_DATA } from './helpers/bearing-data.js';
import { runCli, startCli } from './helpers/processes.js';
import {
  removeTempDirs,
  silentLogger,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';

const DATA = BEARING_DATA;
const CWRU = join(DATA, 'cwru-dev');
const OUTER = join(CWRU, 'outer_007_1hp_131.f32');

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  removeTempDirs();
});

interface Received {
  topic: string;
  ts: number;
  sampleRateHz: number;
  unit: string;
  rpm?: number;
  samples: number[];
}

async function subscriber(brokerUrl: string): Promise<{ client: MqttClient; messages: Received[] }> {
  const client = await mqtt.connectAsync(brokerUrl, { clientId: `replay-test-${Math.random()}` });
  running.push({ stop: () => client.endAsync() });
  const messages: Received[] = [];
  client.on('message', (topic, payload) => {
    messages.push({ topic, ...(JSON.parse(payload.toString('utf8')) as Omit<Received, 'topic'>) });
  });
  await client.subscribeAsync('plantwatch/+/+/waveform', { qos: 1 });
  return { client, messages };
}

async function agentWithBroker(): Promise<EdgeAgent> {
  const cloud = await startTestCloud();
  running.push(cloud);
  const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
  const agent = await startEdgeAgent(testEdgeConfig({ cloud: { url: cloud.url, token } }), silentLogger());
  running.push(agent);
  return agent;
}

const fileFloats = (path: string): Float32Array => {
  const bytes = readFileSync(path);
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};

describe('replay through MQTT into the edge agent', () => {
  it('delivers a recording sample-exact, with ts on the data clock, and the agent analyses every frame', async () => {
    const agent = await agentWithBroker();
    const { messages } = await subscriber(agent.brokerUrl);
    const recordings = await loadRecordings(OUTER, { fs: 12_000, rpm: 1773, asset: 'pump-7', channel: 'de' });
    const client = await mqtt.connectAsync(agent.brokerUrl, { clientId: 'replay-under-test' });
    running.push({ stop: () => client.endAsync() });
    const startTimeMs = Date.parse('2026-03-04T09:00:00Z');
    const replay = startReplay(client, {
      recordings,
      topicPrefix: 'plantwatch',
      unit: 'g',
      frame: 4096,
      speed: 100,
      loops: 1,
      startTimeMs,
    });
    const summary = await replay.done;
    // 24 000 samples = 5 frames of 4096 and a tail of 3520.
    expect(summary).toMatchObject({ frames: 6, samples: 24_000, refused: 0, loops: 1, stopped: false });
    expect(summary.simulatedS).toBeCloseTo(2, 9);
    // Paced at 100×: 2 s of data take 20 ms at the least.
    expect(summary.wallS).toBeGreaterThanOrEqual(0.02);
    await waitFor(() => messages.length === 6 && messages, 'six waveform messages');

    expect(messages.every((m) => m.topic === 'plantwatch/pump-7/de/waveform')).toBe(true);
    expect(messages.map((m) => m.samples.length)).toEqual([4096, 4096, 4096, 4096, 4096, 3520]);
    const received = Float32Array.from(messages.flatMap((m) => m.samples));
    expect(received).toEqual(fileFloats(OUTER));
    // Each ts is its first sample's time: frames 4096/12000 s = 341.33 ms apart, on the data's clock.
    messages.forEach((m, i) => expect(m.ts).toBe(Math.round(startTimeMs + (i * 4096 * 1000) / 12_000)));
    expect(messages.every((m) => m.sampleRateHz === 12_000 && m.rpm === 1773 && m.unit === 'g')).toBe(true);

    await waitFor(() => agent.status().counters.waveforms === 6, 'the agent to analyse six waveforms');
    expect(agent.status().counters.rejected).toBe(0);
  });

  it('paces frames against the wall clock at 10× without drifting', async () => {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
    running.push({ stop: () => broker.close() });
    const client = await mqtt.connectAsync(broker.url, { clientId: 'replay-pacing' });
    running.push({ stop: () => client.endAsync() });
    const recordings = await loadRecordings(OUTER, { fs: 12_000 });
    const arrivals: number[] = [];
    const t0 = Date.now();
    const summary = await startReplay(client, {
      recordings,
      topicPrefix: 'plantwatch',
      unit: 'g',
      frame: 1200,
      speed: 10,
      loops: 1,
      startTimeMs: 0,
      onProgress: () => arrivals.push(Date.now() - t0),
    }).done;
    // 20 frames of 0.1 s data each, due every 10 ms of wall time: the last at 200 ms.
    expect(summary.frames).toBe(20);
    const lateness = arrivals.map((ms, i) => ms - (i + 1) * 10);
    expect(Math.min(...lateness)).toBeGreaterThanOrEqual(-1);
    expect(lateness[lateness.length - 1]!).toBeLessThan(80);
    expect(summary.effectiveSpeed).toBeGreaterThan(7);
    expect(summary.effectiveSpeed).toBeLessThanOrEqual(10.5);
  });

  it('stops cleanly with the summary so far', async () => {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
    running.push({ stop: () => broker.close() });
    const client = await mqtt.connectAsync(broker.url, { clientId: 'replay-stop' });
    running.push({ stop: () => client.endAsync() });
    const recordings = await loadRecordings(OUTER, { fs: 12_000 });
    const replay = startReplay(client, {
      recordings,
      topicPrefix: 'plantwatch',
      unit: 'g',
      frame: 1200,
      speed: 1,
      loops: 0,
      startTimeMs: 0,
    });
    await new Promise((r) => setTimeout(r, 250));
    const summary: ReplaySummary = await replay.stop();
    expect(summary.stopped).toBe(true);
    expect(summary.frames).toBe(2);
    expect(summary.samples).toBe(2400);
  });
});

describe('replay sources', () => {
  it('takes sample rate, rpm and bearing per file from a data folder index.json (CWRU)', async () => {
    const recordings = await loadRecordings(CWRU, {});
    expect(recordings.map((r) => [r.assetId, r.channel, r.sampleRateHz, r.rpm, r.bearing])).toEqual([
      ['normal_000_0hp_097', 'accel', 12_000, 1796, 'skf-6205'],
      ['inner_021_1hp_210', 'accel', 12_000, 1774, 'skf-6205'],
      ['outer_007_1hp_131', 'accel', 12_000, 1773, 'skf-6205'],
      ['ball_021_1hp_223', 'accel', 12_000, 1774, 'skf-6205'],
    ]);
    expect(recordings.every((r) => r.samples.length === 24_000)).toBe(true);
    expect(Float32Array.from(recordings[2]!.samples)).toEqual(fileFloats(OUTER));
  });

  it('reads the IMS index shape: rig rpm and sample rate at the top, one series per file', async () => {
    const recordings = await loadRecordings(join(DATA, 'ims-dev'), { asset: 'ims-rig' });
    expect(recordings.map((r) => [r.assetId, r.sampleRateHz, r.rpm, r.bearing, r.samples.length])).toEqual([
      ['ims-rig', 20_000, 2000, 'rexnord-za-2115', 16 * 20_480],
      ['ims-rig', 20_000, 2000, 'rexnord-za-2115', 23 * 20_480],
    ]);
  });

  it('names the entry and field an index.json lacks', () => {
    const index = (files: unknown[]) => JSON.stringify({ files });
    expect(() => parseIndex('d/index.json', index([{ file: 'a.f32', sample_rate_hz: 12000 }]))).toThrow(
      'd/index.json: files[0] (a.f32): missing "rpm" or top-level "shaft_rpm", a positive number',
    );
    expect(() => parseIndex('d/index.json', index([{ rpm: 1700, sample_rate_hz: 12000 }]))).toThrow(
      `d/index.json: files[0]: missing "file"`,
    );
    expect(() =>
      parseIndex('d/index.json', index([{ file: 'a.f32', rpm: 1, sample_rate_hz: '12k' }])),
    ).toThrow('d/index.json: files[0] (a.f32): bad ("12k") "sample_rate_hz", a positive number');
    expect(() => parseIndex('d/index.json', '{"title": "x"}')).toThrow('needs a "files" (or "series") array');
  });

  it('reads a CSV with a time column: sample rate from it, value column by --column', () => {
    const rows = Array.from({ length: 200 }, (_, i) => `${(i / 25_600).toFixed(9)},${i * 0.5},${-i}`);
    const text = ['time,de_accel,fe_accel', ...rows].join('\n');
    const table = parseCsvTable('r.csv', text, 'fe_accel');
    expect(table.sampleRateHz).toBeCloseTo(25_600, 1);
    expect(Array.from(table.samples.slice(0, 3))).toEqual([0, -1, -2]);
    // Two columns, one of them time: the other is the signal without --column.
    const two = parseCsvTable('r.csv', ['t,accel', '0,1', '0.001,2', '0.002,3'].join('\n'), undefined);
    expect(two.sampleRateHz).toBeCloseTo(1000, 6);
    expect(() => parseCsvTable('r.csv', text, undefined)).toThrow(
      'r.csv:1: 3 columns (time, de_accel, fe_accel); say which holds the samples with --column <name>',
    );
    expect(() => parseCsvTable('r.csv', text, 'accel')).toThrow('r.csv:1: no column "accel"');
    const gap = ['time,accel', '0,1', '0.001,2', '0.002,3', '0.0031,4', '0.004,5'].join('\n');
    expect(() => parseCsvTable('r.csv', gap, undefined)).toThrow(
      'r.csv:5: time step 0.001100 s differs from the mean 0.001000 s by more than 1 %',
    );
    expect(() => parseCsvTable('r.csv', 'time,accel\n0,1\n0.001,x\n', undefined)).toThrow(
      'r.csv:3: column accel "x" is not a finite number (sample 1)',
    );
  });

  it('loads a CSV file with a time column, and a one-value-per-line CSV', async () => {
    const dir = tempDir();
    const timed = join(dir, 'timed.csv');
    writeFileSync(
      timed,
      ['time_ms,accel', ...Array.from({ length: 100 }, (_, i) => `${i * 0.1},${i}`)].join('\n'),
    );
    const [recording] = await loadRecordings(timed, { rpm: 1500 });
    expect(recording).toMatchObject({ assetId: 'timed', sampleRateHz: expect.closeTo(10_000, 6), rpm: 1500 });
    expect(recording!.samples.length).toBe(100);
    const f64 = join(dir, 'capture.bin');
    writeFileSync(f64, Buffer.from(Float64Array.from([0.1, -1e-7, 3.25]).buffer));
    const [wide] = await loadRecordings(f64, { format: 'f64le', fs: 50_000 });
    expect(Array.from(wide!.samples)).toEqual([0.1, -1e-7, 3.25]);
    const plain = join(dir, 'plain.csv');
    writeFileSync(plain, 'accel\n0.5\n-0.25\n');
    await expect(loadRecordings(plain, {})).rejects.toThrow('the sample rate is unknown; give --fs <Hz>');
    expect(Array.from((await loadRecordings(plain, { fs: 100 }))[0]!.samples)).toEqual([0.5, -0.25]);
  });

  it('splits frames without losing a sample; a tail under 64 samples joins the frame before', () => {
    expect(frameBounds(24_000, 4096).at(-1)).toEqual([20_480, 24_000]);
    expect(frameBounds(4096 + 10, 4096)).toEqual([[0, 4106]]);
    const frames = [...planFrames([{ sampleCount: 300, sampleRateHz: 100 }], 100, 2)];
    expect(frames.map((f) => [f.loop, f.start, f.dataStartS])).toEqual([
      [0, 0, 0],
      [0, 100, 1],
      [0, 200, 2],
      [1, 0, 3],
      [1, 100, 4],
      [1, 200, 5],
    ]);
  });
});

describe('replay progress', () => {
  const at = (frame: number, overrides: Partial<ReplayProgress> = {}): ReplayProgress => ({
    frame,
    totalFrames: 250,
    simulatedS: (frame / 250) * 24,
    totalS: 24,
    speed: 10,
    wallS: 0,
    loop: 0,
    ...overrides,
  });

  it('formats a bar, the frame, data seconds, speed and eta', () => {
    expect(formatProgress(at(130, { simulatedS: 12.3 }))).toBe(
      '[#####-----] 52 %  frame 130/250  12.3 s of 24.0 s  speed 10x  eta 1.2 s',
    );
    expect(formatProgress(at(250))).toBe(
      '[##########] 100 %  frame 250/250  24.0 s of 24.0 s  speed 10x  eta 0.0 s',
    );
    expect(formatProgress(at(7, { totalFrames: undefined, totalS: undefined, loop: 2 }))).toBe(
      'frame 7  0.7 s  loop 3  speed 10x',
    );
  });

  it('writes one plain line per 10 % when not on a TTY, and redraws one line on a TTY', () => {
    const plain: string[] = [];
    const writer = new ProgressWriter({ isTTY: false, write: (t) => plain.push(t) });
    for (let frame = 1; frame <= 250; frame++) writer.update(at(frame));
    writer.finish();
    expect(plain).toHaveLength(11);
    expect(plain.every((l) => l.endsWith('\n') && !l.includes('\r'))).toBe(true);
    expect(plain.at(-1)).toContain('100 %');

    const tty: string[] = [];
    let now = 0;
    const redraw = new ProgressWriter({ isTTY: true, write: (t) => tty.push(t) }, () => now);
    for (let frame = 1; frame <= 250; frame++) {
      now += 4;
      redraw.update(at(frame), frame === 250);
    }
    redraw.finish();
    // 1 s of updates at 4 ms: redrawn every 100 ms, plus the final state and the closing newline.
    expect(tty.length).toBeLessThanOrEqual(13);
    expect(tty.slice(0, -1).every((t) => t.startsWith('\r') && !t.includes('\n'))).toBe(true);
    expect(tty.at(-2)).toContain('frame 250/250');
    expect(tty.at(-1)).toBe('\n');
  });
});

describe('plantwatch replay (built CLI)', () => {
  it('replays a data folder and prints one JSON summary', async () => {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
    running.push({ stop: () => broker.close() });
    const { messages } = await subscriber(broker.url);
    const { code, stdout, output } = await runCli([
      'replay',
      CWRU,
      '--broker',
      broker.url,
      '--speed',
      '100x',
      '--start-time',
      '2026-03-04T09:00:00Z',
      '--json',
    ]);
    expect(code, output).toBe(0);
    const summary = JSON.parse(stdout) as ReplaySummary;
    expect(summary).toMatchObject({ frames: 24, samples: 96_000, refused: 0, loops: 1, stopped: false });
    expect(summary.simulatedS).toBeCloseTo(8, 9);
    expect(summary.files.map((f) => [f.assetId, f.rpm, f.sampleRateHz, f.frames, f.bearing])).toEqual([
      ['normal_000_0hp_097', 1796, 12_000, 6, 'skf-6205'],
      ['inner_021_1hp_210', 1774, 12_000, 6, 'skf-6205'],
      ['outer_007_1hp_131', 1773, 12_000, 6, 'skf-6205'],
      ['ball_021_1hp_223', 1774, 12_000, 6, 'skf-6205'],
    ]);
    // Progress went to stderr, plainly (not a TTY): at most eleven lines.
    const progressLines = output
      .replace(stdout, '')
      .split('\n')
      .filter((l) => l.includes('frame '));
    expect(progressLines.length).toBeGreaterThan(0);
    expect(progressLines.length).toBeLessThanOrEqual(11);
    await waitFor(() => messages.length === 24, 'all 24 frames at the subscriber');
    // Recordings follow each other on one clock: the second file starts 2 s after the first.
    const second = messages.find((m) => m.topic === 'plantwatch/inner_021_1hp_210/accel/waveform');
    expect(second?.ts).toBe(Date.parse('2026-03-04T09:00:02Z'));
  });

  it("runs the README's sample: a real outer-race recording into the sample config's pump raises its ticket", async () => {
    // The asset exactly as edge/sample-config.yaml describes it (SKF 6205, 1780 rpm nominal).
    const sample = parseYaml(readFileSync(join(packageRoot(), 'edge', 'sample-config.yaml'), 'utf8')) as {
      assets: EdgeConfigFile['assets'];
    };
    const cloud = await startTestCloud();
    running.push(cloud);
    const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
    const agent = await startEdgeAgent(
      testEdgeConfig({ cloud: { url: cloud.url, token }, assets: sample.assets }),
      silentLogger(),
    );
    running.push(agent);
    // The README's command, only faster, with this agent's broker.
    const { code, stdout, output } = await runCli([
      'replay',
      OUTER,
      ...['--fs', '12000', '--rpm', '1773', '--asset', 'pump-1', '--channel', 'de-accel', '--frame', '12000'],
      ...['--loop', '30', '--speed', '30x', '--broker', agent.brokerUrl, '--json'],
    ]);
    expect(code, output).toBe(0);
    const summary = JSON.parse(stdout) as ReplaySummary & { tickets: SeenTicket[] };
    expect(summary).toMatchObject({ frames: 60, refused: 0 });
    expect(summary.tickets).toContainEqual(
      expect.objectContaining({ assetId: 'pump-1', fault: 'outer_race', state: 'active', reason: 'opened' }),
    );
    const human = await runCli([
      'replay',
      OUTER,
      '--fs',
      '12000',
      '--broker',
      agent.brokerUrl,
      '--settle',
      '0',
    ]);
    expect(human.code, human.output).toBe(0);
    expect(human.stdout).toMatch(/^tickets: none announced on the broker/m);

    // The same recording as binary float32 payloads: every frame analysed, none refused.
    const before = agent.status().counters;
    const binary = await runCli([
      'replay',
      OUTER,
      ...['--fs', '12000', '--rpm', '1773', '--asset', 'pump-1', '--channel', 'de-accel', '--frame', '12000'],
      ...['--payload', 'binary', '--speed', '30x', '--settle', '0', '--broker', agent.brokerUrl, '--json'],
    ]);
    expect(binary.code, binary.output).toBe(0);
    expect(JSON.parse(binary.stdout)).toMatchObject({ frames: 2, refused: 0 });
    await waitFor(() => agent.status().counters.waveforms === before.waveforms + 2, 'two binary frames');
    expect(agent.status().counters.rejected).toBe(before.rejected);
  });

  it('refuses bad input with a precise message and exit code 1, no stack trace', async () => {
    const dir = tempDir();
    const odd = join(dir, 'odd.f32');
    writeFileSync(odd, Buffer.alloc(4 * 100 + 2));
    const nan = join(dir, 'nan.f32');
    const values = new Float32Array(200).fill(0.1);
    values[137] = Number.NaN;
    writeFileSync(nan, Buffer.from(values.buffer));
    const badCsv = join(dir, 'bad.csv');
    writeFileSync(badCsv, '0.1\n0.2\nzero\n');
    const unknown = join(dir, 'x.dat');
    writeFileSync(unknown, Buffer.alloc(8));
    const cases: [string[], string][] = [
      [[join(dir, 'missing.f32'), '--fs', '1000'], 'missing.f32: no such file or folder'],
      [[odd, '--fs', '1000'], `${odd}: 402 bytes is not a whole number of 4-byte f32le samples`],
      [[nan, '--fs', '1000'], `${nan}: sample 137 is NaN (byte 548)`],
      [[badCsv, '--fs', '1000'], `${badCsv}:3: "zero" is not a number`],
      [
        [unknown, '--fs', '1000'],
        `${unknown}: cannot tell the format from the extension ".dat"; give --format f32le|f64le|csv`,
      ],
      [[OUTER, '--frame', '10'], "option '--frame <samples>' argument '10' is invalid"],
      [[OUTER, '--unit', 'mm/s'], "option '--unit <unit>' argument 'mm/s' is invalid"],
      [
        [OUTER, '--format', 'binary'],
        "--format is the recording's sample format (f32le, f64le, csv); to publish binary waveforms use --payload binary",
      ],
    ];
    const results = await Promise.all(
      cases.map(([args]) => runCli(['replay', ...args, '--broker', 'mqtt://127.0.0.1:1'])),
    );
    results.forEach(({ code, output }, i) => {
      expect(code, output).toBe(1);
      expect(output).toContain(cases[i]![1]);
      expect(output).not.toMatch(/\n\s+at /);
    });
  });

  it('stops on SIGINT with the summary so far', async () => {
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: 0 });
    running.push({ stop: () => broker.close() });
    const child = startCli(['replay', CWRU, '--broker', broker.url, '--loop', '0', '--speed', '4', '--json']);
    running.push(child);
    await waitFor(() => child.output().includes('frame 1 '), 'the first progress line');
    child.process.kill('SIGINT');
    expect(await child.exited).toBe(0);
    const summaryLine = child
      .output()
      .split('\n')
      .find((l) => l.startsWith('{'));
    const summary = JSON.parse(summaryLine ?? 'null') as ReplaySummary;
    expect(summary).toMatchObject({ stopped: true, loops: 0, refused: 0 });
    expect(summary.frames).toBeGreaterThan(0);
    expect(summary.files.reduce((n, f) => n + f.frames, 0)).toBe(summary.frames);
  });

  it('refuses an unreachable broker naming --broker', async () => {
    const { code, output } = await runCli([
      'replay',
      OUTER,
      '--fs',
      '12000',
      '--broker',
      'mqtt://127.0.0.1:1',
    ]);
    expect(code).toBe(1);
    expect(output).toContain('cannot connect to the MQTT broker mqtt://127.0.0.1:1');
  });

  it('refuses an index.json entry without its rpm', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a.f32'), Buffer.alloc(4 * 128));
    writeFileSync(
      join(dir, 'index.json'),
      JSON.stringify({ sample_rate_hz: 1000, files: [{ file: 'a.f32' }] }),
    );
    const { code, output } = await runCli(['replay', dir]);
    expect(code).toBe(1);
    expect(output).toContain(`${join(dir, 'index.json')}: files[0] (a.f32): missing "rpm"`);
  });

  it('refuses a CSV time column that does not increase', () => {
    expect(() => parseCsvTable('r.csv', 'time,accel\n0,1\n0,2\n', undefined)).toThrow(ReplayInputError);
  });
});
