import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { RELEASE_AFTER_IDLE_MS } from '../../edge/free-memory.js';
import { packageRoot } from '../../shared/paths.js';
import { sleep } from '../../shared/time.js';
import { freeLoopbackPort } from '../free-port.js';
import type { WaveformFormat } from '../waveform-format.js';
import { AnalysisOnlyRate, ASSETS, benchAssets, SAMPLES, WARM_UP } from './edge-throughput-analysis.js';
import { NATIVE_LAST_REPLAN_AFTER } from './settle-native-plans.js';
import { type BenchResult, result } from './measure.js';

/** Waveforms per format: 30 per channel, the measurement. */
const COUNT = 1920;
/**
 * Warm-up batches (of COUNT) before the measured one: at least MIN_WARM_UP_BATCHES, then until one
 * costs the agent within this fraction of the CPU of the one before: a sustained rate, not
 * start-up. V8 still optimises the agent's code well past the first batch (measured: 252, 184 then
 * 155 CPU ticks for three batches of 1,920 after a 128-waveform warm-up), and still recompiles
 * after 8,000 waveforms (--trace-opt, batches of 3,840 after the re-planning warm-up: 39, 16, 5, 7
 * optimised compilations of 3–25 ms, at 137, 119, 110, 111 CPU ticks).
 */
const SETTLED = 0.05;
const MIN_WARM_UP_BATCHES = 4;
/** Measured rounds, each a batch of ROUND_COUNT between two baselines of ROUND_BASELINE_SECONDS (see runAgent). */
const ROUNDS = 5;
const ROUND_COUNT = COUNT / 2;
/** Each baseline measurement: long enough to average over the VM's jitter, short of the agent's idle release. */
const ROUND_BASELINE_SECONDS = 0.75;
/** How long the agent idles after the measured run before its settled RSS is read: past its release. */
const SETTLE_MS = RELEASE_AFTER_IDLE_MS + 2000;
const MAX_WARM_UP_BATCHES = 8;

/** CPU seconds (user + system, all threads) and resident memory of a process, from /proc. */
function processUsage(pid: number): { cpuS: number; rssMb: number } {
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  return { cpuS: threadsCpuSeconds(pid) ?? tickCpuSeconds(pid), rssMb: rssKb / 1024 };
}

/**
 * The CPU time of a process' threads to the nanosecond (schedstat), where the kernel keeps it: a
 * round of 960 binary waveforms is 10–20 of the 10 ms ticks /proc/<pid>/stat counts in, so one tick
 * more or less moved a round's figure by 5–10 %. Threads gone before the reading are not in it (the
 * agent's stay for its life); undefined where there is no schedstat.
 */
function threadsCpuSeconds(pid: number): number | undefined {
  if (!existsSync(`/proc/${pid}/schedstat`)) return undefined;
  let nanoseconds = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      nanoseconds += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return nanoseconds / 1e9;
}

/** CPU seconds of a process, all its threads, in the 10 ms ticks of /proc/<pid>/stat. */
function tickCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * The whole edge path against its own analysis: a real agent process with its embedded broker and
 * 64 assets, fed 16,384-sample waveforms at 25.6 kHz by a publisher in another process, in JSON and
 * in the binary format. The figure is waveforms per agent CPU-second (all its threads); the baseline
 * is the same waveform through the agent's analyser alone, per CPU-second of this process (all its
 * threads), on two threads at once (see AnalysisOnlyRate), measured around each of the agent's
 * measured batches; the round with the median ratio is reported (the goal: ≥ 0.5). A second figure is the
 * agent's RSS after the run, in MB (goal: < 150): its peak, as a process' RSS seldom shrinks. Last,
 * the binary waveforms through the embedded broker alone (see runBrokerOnly): the part of the
 * agent's cost that is MQTT; and the agent on an external mosquitto (see benchOnMosquitto).
 */
export async function benchEdgeThroughput(dir: string): Promise<BenchResult[]> {
  const analysisOnly = await AnalysisOnlyRate.start();
  const results: BenchResult[] = [];
  const runs: { name: string; format: WaveformFormat; nodeFlags?: string[] }[] = [
    { name: 'json', format: 'json' },
    { name: 'binary', format: 'binary' },
    // A 2 MB young generation set on node's command line, against the agent's own 8 MB cap.
    { name: 'binary-small-heap', format: 'binary', nodeFlags: SMALL_HEAP_NODE_FLAGS },
  ];
  try {
    for (const { name, format, nodeFlags } of runs) {
      const run = await runAgent(join(dir, `edge-throughput-${name}`), format, analysisOnly, { nodeFlags });
      results.push(
        result(
          `edge-throughput-${name}`,
          SAMPLES,
          'ops/s',
          run.perCpuSecond,
          'analysis only',
          run.analysisOnly,
        ),
        result(`edge-rss-${name}-mb`, ASSETS, 'MB', run.rssMb, 'goal 150 MB', 150),
        result(`edge-rss-${name}-settled-mb`, ASSETS, 'MB', run.settledRssMb, 'goal 150 MB', 150),
      );
    }
    results.push(...(await benchOnMosquitto(join(dir, 'edge-throughput-binary-mosquitto'), analysisOnly)));
    const brokerOnly = await runBrokerOnly(analysisOnly);
    results.push(
      result(
        'edge-throughput-binary-broker-only',
        SAMPLES,
        'ops/s',
        brokerOnly.perCpuSecond,
        'analysis only',
        brokerOnly.analysisOnly,
      ),
    );
  } finally {
    await analysisOnly.close();
  }
  return results;
}

/** V8's young generation at 1 MB per semi-space (the agent leaves a size given this way alone). */
const SMALL_HEAP_NODE_FLAGS = ['--max-semi-space-size=1'];

interface AgentRun {
  perCpuSecond: number;
  /** Waveforms per CPU-second of the agent and its external broker together, with one. */
  withBrokerPerCpuSecond?: number;
  rssMb: number;
  settledRssMb: number;
  analysisOnly: number;
}

async function runAgent(
  dir: string,
  format: WaveformFormat,
  analysisOnly: AnalysisOnlyRate,
  options: { nodeFlags?: string[]; externalBroker?: ExternalBroker } = {},
): Promise<AgentRun> {
  const { nodeFlags = [], externalBroker } = options;
  const [statusPort, cloudPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const brokerPort = externalBroker?.port ?? (await freeLoopbackPort());
  const configFile = join(dir, 'agent.yaml');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    configFile,
    stringify({
      gatewayId: 'gw-bench',
      site: 'bench',
      dataDir: join(dir, 'data'),
      http: { host: '127.0.0.1', port: statusPort },
      mqtt: externalBroker
        ? { url: `mqtt://127.0.0.1:${brokerPort}` }
        : { embedded: { host: '127.0.0.1', port: brokerPort } },
      // Nothing listens there: tickets stay in the outbox, as on a gateway whose link is down.
      cloud: { url: `http://127.0.0.1:${cloudPort}`, token: 'bench-token-0123456789abcdef' },
      telemetry: { enabled: false },
      assets: benchAssets(),
    }),
  );
  const profile = process.env.PLANTWATCH_BENCH_PROFILE_DIR;
  const agent = spawn(
    process.execPath,
    [
      // Set to a folder to get the agent's CPU profile (open it in Chrome DevTools).
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      ...nodeFlags,
      ...(process.env.PLANTWATCH_BENCH_AGENT_FLAGS?.split(' ').filter(Boolean) ?? []),
      join(packageRoot(), 'dist', 'plantwatch.js'),
      'edge',
      '--config',
      configFile,
    ],
    {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, PLANTWATCH_LOG_LEVEL: 'error' },
    },
  );
  const statusUrl = `http://127.0.0.1:${statusPort}`;
  try {
    await waitForAgent(statusUrl);
    const publish = (count: number) =>
      runPublisher([...publisherArgs(brokerPort, statusUrl, format), '--count', String(count)]);
    await publish(WARM_UP);
    // Past the native kernels' last re-planning (4,096 uses of a transform, counted in analyses, not
    // in waveforms sent: an overloaded agent drops some), and until it is done: the agent's steady
    // state, with no planning thread in the measured batch.
    for (let sent = WARM_UP; sent < 1.5 * NATIVE_LAST_REPLAN_AFTER; sent += COUNT) await publish(COUNT);
    // A waveform per channel between the polls: a sustained run, which a 10 s pause would end
    // (the agent then gives memory back, and the next flood pays for it: see FreeMemoryRelease).
    await untilPlansRefined(statusUrl, () => publish(ASSETS));
    let previous = Infinity;
    for (let batch = 0; batch < MAX_WARM_UP_BATCHES; batch++) {
      const start = processUsage(agent.pid!).cpuS;
      await publish(COUNT);
      const cpuS = processUsage(agent.pid!).cpuS - start;
      if (batch >= MIN_WARM_UP_BATCHES - 1 && Math.abs(cpuS - previous) <= SETTLED * previous) break;
      previous = cpuS;
    }
    const { median, rounds, rssMb, threadsBefore } = await measureRounds(
      agent.pid!,
      publisherArgs(brokerPort, statusUrl, format),
      analysisOnly,
      externalBroker?.pid,
    );
    if (process.env.PLANTWATCH_BENCH_THREADS) {
      const analysed = rounds.reduce((sum, r) => sum + r.analysed, 0);
      process.stderr.write(
        `  ${format} rounds (ratio): ${rounds.map((r) => r.ratio.toFixed(3)).join(' ')}\n`,
      );
      for (const [name, cpu] of threadCpu(agent.pid!))
        process.stderr.write(
          `  ${format} ${name}: ${(((cpu - (threadsBefore.get(name) ?? 0)) / analysed) * 1000).toFixed(3)} ms CPU per waveform (all rounds)\n`,
        );
    }
    // And once the agent has been idle long enough to give memory back: what a gateway holds
    // between bursts (see FreeMemoryRelease).
    await sleep(SETTLE_MS);
    const settledRssMb = processUsage(agent.pid!).rssMb;
    return {
      perCpuSecond: median.perCpuSecond,
      ...(median.withOtherPerCpuSecond === undefined
        ? {}
        : { withBrokerPerCpuSecond: median.withOtherPerCpuSecond }),
      rssMb,
      settledRssMb,
      analysisOnly: median.analysisOnly,
    };
  } finally {
    agent.kill('SIGTERM');
    await new Promise((resolve) => agent.once('exit', resolve));
  }
}

interface Round {
  ratio: number;
  perCpuSecond: number;
  /** Waveforms per CPU-second of the process and the other one measured with it. */
  withOtherPerCpuSecond?: number;
  analysisOnly: number;
  analysed: number;
}

/**
 * Measured in rounds, each batch between two baselines taken while the process idles (well short
 * of the agent's release after a burst); the round with the median ratio is the figure. One batch
 * between two 1.5 s baselines (as before) gave 0.22–0.47 for the binary run on the 2-core VM this
 * was written on, from one run to the next: the analysis-only rate itself measured 6,700–15,000 a
 * CPU-second from one measurement to the next, and V8 now and then spends a batch marking (its
 * helper threads then take as much CPU as the analysis); each round's own baselines and the median
 * keep one such moment from being the figure. Also the process' RSS right after the last round.
 */
async function measureRounds(
  pid: number,
  publisherArgs: string[],
  analysisOnly: AnalysisOnlyRate,
  otherPid?: number,
): Promise<{ median: Round; rounds: Round[]; rssMb: number; threadsBefore: Map<string, number> }> {
  // One connection for all the rounds, as a sensor keeps its own: a new one per round cost the
  // agent's side its setup and TCP's slow start each time (see edge-throughput-publisher.ts).
  const publisher = PublisherSession.start(publisherArgs);
  try {
    await publisher.publish(3 * ASSETS);
    const threadsBefore = threadCpu(pid);
    const rounds: Round[] = [];
    let baselineBefore = await analysisOnly.measure(ROUND_BASELINE_SECONDS);
    let after = processUsage(pid);
    for (let round = 0; round < ROUNDS; round++) {
      const before = processUsage(pid);
      const otherBefore = otherPid === undefined ? 0 : processUsage(otherPid).cpuS;
      const run = await publisher.publish(ROUND_COUNT);
      after = processUsage(pid);
      const otherCpuS = otherPid === undefined ? undefined : processUsage(otherPid).cpuS - otherBefore;
      const baselineAfter = await analysisOnly.measure(ROUND_BASELINE_SECONDS);
      const perCpuSecond = run.analysed / (after.cpuS - before.cpuS);
      const analysisRate = Math.sqrt(baselineBefore * baselineAfter);
      rounds.push({
        ratio: perCpuSecond / analysisRate,
        perCpuSecond,
        analysisOnly: analysisRate,
        analysed: run.analysed,
        ...(otherCpuS === undefined
          ? {}
          : { withOtherPerCpuSecond: run.analysed / (after.cpuS - before.cpuS + otherCpuS) }),
      });
      baselineBefore = baselineAfter;
    }
    const median = [...rounds].sort((a, b) => a.ratio - b.ratio)[ROUNDS >> 1]!;
    return { median, rounds, rssMb: after.rssMb, threadsBefore };
  } finally {
    await publisher.close();
  }
}

interface ExternalBroker {
  port: number;
  pid: number;
}

/**
 * The binary run again with the agent on an external mosquitto on loopback (`mqtt.url`), as on a
 * site whose sensors already publish to a broker: two figures, waveforms per CPU-second of the
 * agent alone (the broker's CPU is another process') and of the agent and mosquitto together.
 * Without mosquitto installed, a line on stderr says so and the two figures are left out.
 */
async function benchOnMosquitto(dir: string, analysisOnly: AnalysisOnlyRate): Promise<BenchResult[]> {
  mkdirSync(dir, { recursive: true });
  const port = await freeLoopbackPort();
  const configFile = join(dir, 'mosquitto.conf');
  writeFileSync(configFile, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const mosquitto = spawn('mosquitto', ['-c', configFile], { stdio: 'ignore' });
  const missing = await new Promise<string | undefined>((resolve) => {
    mosquitto.once('error', (error) => resolve(error.message));
    mosquitto.once('spawn', () => resolve(undefined));
  });
  if (missing) {
    process.stderr.write(
      `edge-throughput: no mosquitto to run the agent on an external broker (${missing}); ` +
        'install it (Debian/Ubuntu: apt-get install mosquitto) for the -mosquitto figures\n',
    );
    return [];
  }
  try {
    await untilListening(port, 10_000, 'mosquitto');
    const run = await runAgent(dir, 'binary', analysisOnly, {
      externalBroker: { port, pid: mosquitto.pid! },
    });
    return [
      result(
        'edge-throughput-binary-mosquitto',
        SAMPLES,
        'ops/s',
        run.perCpuSecond,
        'analysis only',
        run.analysisOnly,
      ),
      result(
        'edge-throughput-binary-mosquitto-with-broker',
        SAMPLES,
        'ops/s',
        run.withBrokerPerCpuSecond!,
        'analysis only',
        run.analysisOnly,
      ),
    ];
  } finally {
    mosquitto.kill('SIGTERM');
    if (mosquitto.exitCode === null) await new Promise((resolve) => mosquitto.once('exit', resolve));
  }
}

/** Resolves once something accepts connections on the loopback port; fails after timeoutMs naming it. */
async function untilListening(port: number, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(100);
  }
  throw new Error(
    `edge-throughput: ${what} did not listen on 127.0.0.1:${port} within ${timeoutMs / 1000} s`,
  );
}

/**
 * The same binary waveforms through the agent's embedded broker alone, in its own process (see
 * edge-throughput-broker.ts), measured as the agent is: waveforms per CPU-second of that process
 * against the analysis-only rate. With a broker-only ratio B, an agent whose every step after the
 * broker cost nothing but the analysis (at the baseline's rate) would reach about B / (1 + B): about,
 * because a broker with nothing else to do reads its socket more often, in smaller pieces, than the
 * agent's busy event loop does (measured: the broker alone 0.10–0.13 ms of CPU a waveform, the
 * agent's whole event loop 0.10–0.13 ms).
 */
async function runBrokerOnly(analysisOnly: AnalysisOnlyRate): Promise<Round> {
  const [brokerPort, statusPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const script = join(packageRoot(), 'dist', 'simulators', 'bench', 'edge-throughput-broker.js');
  const broker = spawn(
    process.execPath,
    [script, '--broker-port', String(brokerPort), '--status-port', String(statusPort)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    await untilReady(broker.stdout!, 15_000, 'the broker-only process');
    const args = publisherArgs(brokerPort, `http://127.0.0.1:${statusPort}`, 'binary');
    // Warm: V8 has optimised the broker's path, as the agent's is by its longer warm-up.
    for (let batch = 0; batch < MIN_WARM_UP_BATCHES; batch++)
      await runPublisher([...args, '--count', String(COUNT)]);
    return (await measureRounds(broker.pid!, args, analysisOnly)).median;
  } finally {
    broker.kill('SIGTERM');
    await new Promise((resolve) => broker.once('exit', resolve));
  }
}

/** Resolves at the first `ready` line a process prints; fails after timeoutMs naming it. */
function untilReady(output: NodeJS.ReadableStream, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let printed = '';
    const timer = setTimeout(
      () => reject(new Error(`edge-throughput: ${what} was not ready within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    output.on('data', (chunk: Buffer) => {
      printed += chunk.toString();
      if (!printed.includes('ready\n')) return;
      clearTimeout(timer);
      resolve();
    });
  });
}

/** CPU seconds per thread name (main, libuv pool, workers, V8 helpers), summed over same-named threads. */
function threadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name =
        tid === String(pid) ? 'main' : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}-${tid}`;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      byName.set(name, (byName.get(name) ?? 0) + (Number(fields[11]) + Number(fields[12])) / 100);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byName;
}

/** Waits (at most three minutes) until the agent reports no FFTW plan being refined, keeping it busy meanwhile. */
async function untilPlansRefined(statusUrl: string, keepBusy: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const status = (await (await fetch(`${statusUrl}/api/v1/status/counters`)).json()) as {
      analysisTransforms?: { plansBeingRefined?: number };
    };
    if (!status.analysisTransforms?.plansBeingRefined) return;
    await keepBusy();
  }
}

async function waitForAgent(statusUrl: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const up = await fetch(`${statusUrl}/api/v1/status`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) return;
    await sleep(100);
  }
  throw new Error(`edge-throughput: the agent did not answer on ${statusUrl} within 15 s`);
}

function publisherArgs(brokerPort: number, statusUrl: string, format: WaveformFormat): string[] {
  return [
    ...['--broker', `mqtt://127.0.0.1:${brokerPort}`, '--status', statusUrl, '--format', format],
    ...['--assets', String(ASSETS), '--samples', String(SAMPLES)],
  ];
}

const publisherScript = () =>
  join(packageRoot(), 'dist', 'simulators', 'bench', 'edge-throughput-publisher.js');

/** A publisher process that stays connected: a batch per publish(), on the same MQTT connection. */
class PublisherSession {
  private readonly replies: string[] = [];
  private waiting: ((line: string) => void) | undefined;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (this.waiting) this.waiting(line);
      else this.replies.push(line);
    });
  }

  static start(args: string[]): PublisherSession {
    return new PublisherSession(
      spawn(process.execPath, [publisherScript(), ...args], { stdio: ['pipe', 'pipe', 'inherit'] }),
    );
  }

  /** Publishes `count` waveforms and resolves with the publisher's report once the agent took them. */
  async publish(count: number): Promise<{ sent: number; analysed: number }> {
    if (this.child.exitCode !== null)
      throw new Error(`edge-throughput publisher exited with ${this.child.exitCode}`);
    this.child.stdin!.write(`${count}\n`);
    const line =
      this.replies.shift() ??
      (await new Promise<string>((resolve, reject) => {
        const exited = (code: number | null) =>
          reject(new Error(`edge-throughput publisher exited with ${code}`));
        this.child.once('exit', exited);
        this.waiting = (reply) => {
          this.waiting = undefined;
          this.child.off('exit', exited);
          resolve(reply);
        };
      }));
    return JSON.parse(line) as { sent: number; analysed: number };
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.stdin!.end();
    await new Promise((resolve) => this.child.once('exit', resolve));
  }
}

function runPublisher(args: string[]): Promise<{ sent: number; analysed: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [publisherScript(), ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`edge-throughput publisher exited with ${code}`));
      else resolve(JSON.parse(out.trim()) as { sent: number; analysed: number });
    });
  });
}
