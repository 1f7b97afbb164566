import { Command, InvalidArgumentError, Option } from 'commander';
import mqtt, { type MqttClient } from 'mqtt';
import {
  RECORDING_FORMATS,
  RecordingError,
  type RecordingFormat,
} from '../../edge/diagnose/read-recording.js';
import { integerIn, oneOf, positiveNumber, speedFactor } from '../../shared/cli-options.js';
import type { AccelerationUnit } from '../../shared/schema/index.js';
import { stopOnSignals } from '../../shared/shutdown.js';
import { sleep } from '../../shared/time.js';
import { WAVEFORM_FORMATS, type WaveformFormat, waveformFormatOption } from '../waveform-format.js';
import { ProgressWriter } from './progress-bar.js';
import { loadRecordings, type Recording, ReplayInputError } from './recording-sources.js';
import { type ReplaySummary, startReplay, type WaveformPublisher } from './replay-publisher.js';
import { formatSeenTicket, type SeenTicket, type TicketWatch, watchTickets } from './ticket-watch.js';

interface ReplayFlags {
  broker: string;
  prefix: string;
  asset?: string;
  channel?: string;
  format?: RecordingFormat;
  payload: WaveformFormat;
  column?: string;
  fs?: number;
  rpm?: number;
  unit: AccelerationUnit;
  frame: number;
  speed: number;
  loop: number;
  startTime?: number;
  json?: boolean;
  opcua?: number;
  pkiDir?: string;
  settle: number;
}

/** Where the frames go: an MQTT broker, or an OPC-UA server of our own. */
interface ReplayTarget {
  publisher: WaveformPublisher;
  /** Over MQTT: the tickets the agent announces on the same broker while the replay runs. */
  tickets?: TicketWatch;
  close(): Promise<void>;
}

/** What `--json` prints: the replay's figures and the tickets the agent raised meanwhile. */
type ReplayReport = ReplaySummary & { tickets?: SeenTicket[] };

const topicId = (value: string): string => {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value)) {
    throw new InvalidArgumentError(`expected letters, digits, _ . - (at most 64), got '${value}'`);
  }
  return value;
};

const isoTime = (value: string): number => {
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(ms) || ms < 0) {
    throw new InvalidArgumentError(`expected an ISO-8601 time such as 2026-03-04T09:27:46Z, got '${value}'`);
  }
  return ms;
};

export function replayCommand(): Command {
  return new Command('replay')
    .description(
      'publish recorded vibration (a file, or a data folder with index.json) as MQTT waveforms, or serve it over OPC-UA',
    )
    .argument(
      '<file|dir>',
      'raw f32le/f64le, CSV, or a folder with index.json (as in test/fixtures/recordings)',
    )
    .option('--broker <url>', 'MQTT broker', 'mqtt://127.0.0.1:1883')
    .option('--prefix <topic>', 'topic prefix', 'plantwatch')
    .option(
      '--asset <id>',
      'asset id (default: the file name; with a folder, one asset for all files)',
      topicId,
    )
    .option('--channel <id>', 'channel id (default: accel)', topicId)
    .addOption(
      new Option(
        '--format <format>',
        `the recording's sample format: ${RECORDING_FORMATS.join(', ')} (default: from the extension)`,
      ).argParser(recordingFormat),
    )
    .addOption(waveformFormatOption('--payload'))
    .option('--column <name>', 'CSV with a header: the column holding the samples')
    .option('--fs <Hz>', 'sample rate (default: from index.json or the CSV time column)', positiveNumber)
    .option('--rpm <n>', 'shaft speed sent with each frame (default: from index.json)', positiveNumber)
    .option(
      '--unit <unit>',
      'acceleration unit of the samples: g or m/s2',
      oneOf(['g', 'm/s2'] as const),
      'g',
    )
    .option('--frame <samples>', 'samples per waveform message', integerIn(64, 1_048_576), 4096)
    .option('--speed <factor>', 'time-scale: 1 = real time, 10 or 10x = ten times faster', speedFactor, 1)
    .option('--loop <n>', 'passes over the data (0 = until Ctrl-C)', integerIn(0, 1_000_000), 1)
    .option('--start-time <iso>', 'time of the first sample (default: now)', isoTime)
    .option('--json', 'print one JSON summary object on stdout at the end (progress goes to stderr)')
    .option(
      '--settle <seconds>',
      "after the last frame, wait this long for the agent's tickets on <prefix>/alerts/# (MQTT only)",
      nonNegativeSeconds,
      2,
    )
    .addOption(
      new Option(
        '--opcua <port>',
        'serve the frames from an OPC-UA server on 127.0.0.1:<port> (0 = a free port) instead of MQTT',
      )
        .argParser(integerIn(0, 65_535))
        .conflicts('broker'),
    )
    .option('--pki-dir <dir>', "with --opcua: the server's certificate folder (default: a temporary one)")
    .action(async (input: string, flags: ReplayFlags) => {
      if (flags.pkiDir !== undefined && flags.opcua === undefined) {
        throw new Error('replay: --pki-dir is for the OPC-UA server; add --opcua <port>, or drop --pki-dir');
      }
      const recordings = await load(input, flags);
      const target =
        flags.opcua === undefined
          ? await mqttTarget(flags.broker, flags.prefix)
          : await opcuaTarget(flags.opcua, recordings, flags);
      const progress = new ProgressWriter(process.stderr);
      const replay = startReplay(target.publisher, {
        recordings,
        topicPrefix: flags.prefix,
        unit: flags.unit,
        format: flags.payload,
        frame: flags.frame,
        speed: flags.speed,
        loops: flags.loop,
        startTimeMs: flags.startTime ?? Date.now(),
        onProgress: (p) => progress.update(p, p.frame === p.totalFrames),
      });
      // Ctrl-C and the natural end both finish; the one report is shared, so exit waits for it.
      let reported: Promise<void> | undefined;
      const report = async (summary: ReplaySummary) => {
        progress.finish();
        // The last frames are still being analysed when they are sent: give their tickets a moment.
        if (target.tickets && !summary.stopped && flags.settle > 0) await sleep(flags.settle * 1000);
        const result: ReplayReport = target.tickets
          ? { ...summary, tickets: target.tickets.seen() }
          : summary;
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `${formatSummary(result)}\n`);
        await target.close();
      };
      const finish = (summary: ReplaySummary) => (reported ??= report(summary));
      stopOnSignals(async () => finish(await replay.stop()));
      await finish(await replay.done);
    });
}

async function load(input: string, flags: ReplayFlags): Promise<Recording[]> {
  try {
    return await loadRecordings(input, {
      ...(flags.format ? { format: flags.format } : {}),
      ...(flags.fs !== undefined ? { fs: flags.fs } : {}),
      ...(flags.rpm !== undefined ? { rpm: flags.rpm } : {}),
      ...(flags.asset ? { asset: flags.asset } : {}),
      ...(flags.channel ? { channel: flags.channel } : {}),
      ...(flags.column ? { column: flags.column } : {}),
    });
  } catch (error) {
    if (error instanceof ReplayInputError || error instanceof RecordingError) {
      // read-recording speaks for `diagnose`, whose --start/--length replay does not have.
      const message = error.message.replace(/ — cut the bad stretch with --start\/--length$/, '');
      throw new Error(`replay: ${message}`, { cause: error });
    }
    throw error;
  }
}

async function mqttTarget(brokerUrl: string, topicPrefix: string): Promise<ReplayTarget> {
  const client = await connect(brokerUrl);
  const tickets = await watchTickets(client, topicPrefix);
  return { publisher: client, tickets, close: () => client.endAsync() };
}

const nonNegativeSeconds = (value: string): number => {
  const seconds = Number(value);
  if (value.trim() === '' || !Number.isFinite(seconds) || seconds < 0 || seconds > 3600) {
    throw new InvalidArgumentError(`expected seconds from 0 to 3600, got '${value}'`);
  }
  return seconds;
};

/**
 * The OPC-UA server, started before the first frame so its nodes exist when a client browses; what to
 * point the edge at goes to stdout (stderr with --json, which keeps stdout to the summary).
 */
async function opcuaTarget(port: number, recordings: Recording[], flags: ReplayFlags): Promise<ReplayTarget> {
  // node-opcua takes seconds to load: only a replay into OPC-UA pays for it.
  const { edgeConfigFragment, replayChannels, startOpcuaReplayServer } =
    await import('./opcua-replay-server.js');
  const { channels, mixedRates } = replayChannels(recordings);
  const out = flags.json ? process.stderr : process.stdout;
  for (const key of mixedRates) {
    process.stderr.write(
      `replay: ${key} is recorded at more than one sample rate; the edge config below fixes the first, ` +
        `so replay the files of each rate separately\n`,
    );
  }
  let server;
  try {
    server = await startOpcuaReplayServer({
      port,
      channels,
      topicPrefix: flags.prefix,
      ...(flags.pkiDir !== undefined ? { pkiDir: flags.pkiDir } : {}),
    });
  } catch (error) {
    throw new Error(
      `replay: cannot start the OPC-UA server on 127.0.0.1:${port} (${(error as Error).message}); ` +
        'is the port in use? try --opcua 0 for a free one',
      { cause: error },
    );
  }
  const lines = [`OPC-UA replay server: ${server.endpointUrl} (security mode None, anonymous)`];
  for (const node of server.nodes) {
    lines.push(
      `  ${node.assetId}/${node.channel}: ${node.waveformNodeId} (Float array, ${node.waveformBrowsePath}), ` +
        `${node.sampleRateNodeId}, ${node.rpmNodeId}`,
    );
  }
  out.write(`${lines.join('\n')}\n\n${edgeConfigFragment(server.endpointUrl, server.nodes, flags.unit)}\n\n`);
  return { publisher: server, close: () => server.stop() };
}

/** Connected or a clear error: mqtt.js would otherwise retry a wrong URL for ever, silently. */
async function connect(brokerUrl: string): Promise<MqttClient> {
  const client = mqtt.connect(brokerUrl, {
    clientId: `plantwatch-replay-${process.pid}-${Math.floor(Math.random() * 1e6)}`,
    reconnectPeriod: 1000,
    connectTimeout: 5000,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no answer within 10 s')), 10_000);
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    client.end(true);
    throw new Error(
      `replay: cannot connect to the MQTT broker ${brokerUrl} (${(error as Error).message}); is it running? see --broker`,
      { cause: error },
    );
  }
  return client;
}

export function formatSummary(s: ReplayReport): string {
  const lines = [
    `${s.stopped ? 'stopped' : 'replayed'}: ${s.frames} frames, ${s.samples} samples, ` +
      `${s.simulatedS.toFixed(2)} s of data in ${s.wallS.toFixed(2)} s (effective speed ${s.effectiveSpeed.toFixed(2)}x), ` +
      `${s.loops} loop(s), ${s.refused} refused`,
  ];
  for (const f of s.files) {
    lines.push(
      `  ${f.file} → ${f.assetId}/${f.channel}: ${f.frames} frames, ${f.samples} samples, ` +
        `${f.simulatedS.toFixed(2)} s at ${f.sampleRateHz} Hz` +
        `${f.rpm !== null ? `, ${f.rpm} rpm` : ''}${f.bearing ? `, bearing ${f.bearing}` : ''}, ${f.refused} refused`,
    );
  }
  if (s.tickets) {
    lines.push(
      s.tickets.length === 0
        ? 'tickets: none announced on the broker (the agent announces each on <prefix>/alerts/# unless mqtt.alerts is false)'
        : `tickets announced by the agent during the replay (${s.tickets.length}):`,
    );
    for (const ticket of s.tickets) lines.push(`  ${formatSeenTicket(ticket)}`);
  }
  return lines.join('\n');
}

/** The input format; the payload's format has its own flag, and a mix-up is named as such. */
function recordingFormat(value: string): RecordingFormat {
  if ((RECORDING_FORMATS as readonly string[]).includes(value)) return value as RecordingFormat;
  if ((WAVEFORM_FORMATS as readonly string[]).includes(value))
    throw new InvalidArgumentError(
      `--format is the recording's sample format (${RECORDING_FORMATS.join(', ')}); to publish ${value} waveforms use --payload ${value}`,
    );
  throw new InvalidArgumentError(`Allowed choices are ${RECORDING_FORMATS.join(', ')}.`);
}
