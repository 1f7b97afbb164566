import mqtt from 'mqtt';
import { measurementTopic, type ReadingPayload, type WaveformPayload } from '../../shared/schema/index.js';
import { type WaveformFormat, waveformMessage } from '../waveform-format.js';
import { type FaultKind, MachineModel } from './machine-model.js';

export interface VibrationSimulatorOptions {
  brokerUrl: string;
  topicPrefix: string;
  assetId: string;
  channel: string;
  fault: FaultKind;
  rpm: number;
  sampleRateHz: number;
  samplesPerFrame: number;
  /** Simulated seconds for the fault to grow from nothing to full severity; 0 = full from the start. */
  rampS: number;
  /** Time-scale factor: 1 = real time, 10 = ten simulated seconds per second. */
  speed: number;
  /** Stop after this many frames (0 = run until stopped). */
  frames: number;
  seed: number;
  /** JSON (default) or the binary waveform format. */
  format?: WaveformFormat;
  /** Late-stage bearing damage: shaft harmonics and broadband rise with the defect (MachineModel). */
  damageSpread?: boolean;
  startTimeMs?: number;
  onFrame?: (info: { frame: number; severity: number; simulatedS: number }) => void;
}

export interface RunningSimulator {
  stop(): Promise<void>;
  /** Resolves when `frames` frames are published (never, when frames = 0, until stopped). */
  done: Promise<void>;
}

/** Publishes the machine model's waveform (and a bearing temperature) over MQTT, paced by `speed`. */
export async function startVibrationSimulator(options: VibrationSimulatorOptions): Promise<RunningSimulator> {
  const client = await mqtt.connectAsync(options.brokerUrl, {
    clientId: `plantwatch-sim-${options.assetId}-${process.pid}-${Math.floor(Math.random() * 1e6)}`,
    reconnectPeriod: 1000,
  });
  const model = new MachineModel({
    rpm: options.rpm,
    sampleRateHz: options.sampleRateHz,
    fault: options.fault,
    bpfoMultiple: 3.5848,
    resonanceHz: Math.min(3000, options.sampleRateHz / 4),
    seed: options.seed,
    ...(options.damageSpread ? { damageSpread: true } : {}),
  });
  const frameS = options.samplesPerFrame / options.sampleRateHz;
  const startMs = options.startTimeMs ?? Date.now();
  const waveformTopic = measurementTopic(options.topicPrefix, options.assetId, options.channel, 'waveform');
  const temperatureTopic = measurementTopic(
    options.topicPrefix,
    options.assetId,
    'bearing-temperature',
    'reading',
  );
  let frame = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });

  const publishFrame = async () => {
    const simulatedS = frame * frameS;
    const severity = options.rampS > 0 ? Math.min(1, simulatedS / options.rampS) : 1;
    const samples = model.nextFrame(options.samplesPerFrame, options.fault === 'healthy' ? 0 : severity);
    const ts = Math.round(startMs + simulatedS * 1000);
    const waveform: WaveformPayload = {
      ts,
      sampleRateHz: options.sampleRateHz,
      unit: 'g',
      rpm: options.rpm,
      // Five significant digits keep the JSON a third of full precision, far below sensor noise.
      samples: Array.from(samples, (v) => Number(v.toPrecision(5))),
    };
    const temperature: ReadingPayload = {
      ts,
      value: Number((45 + 15 * severity * (options.fault === 'healthy' ? 0 : 1)).toFixed(2)),
      unit: 'degC',
    };
    const message =
      options.format && options.format !== 'json'
        ? waveformMessage({ ...waveform, samples }, options.format)
        : JSON.stringify(waveform);
    await client.publishAsync(waveformTopic, message, { qos: 1 });
    await client.publishAsync(temperatureTopic, JSON.stringify(temperature), { qos: 1 });
    options.onFrame?.({ frame, severity, simulatedS });
    frame++;
  };

  const tick = async () => {
    if (stopped) return;
    try {
      await publishFrame();
    } catch {
      // The broker may be restarting; mqtt.js reconnects and the next frame tries again.
    }
    if (options.frames > 0 && frame >= options.frames) {
      resolveDone();
      return;
    }
    // Paced against the start, not the previous frame, so publishing time does not make it drift slow.
    const dueMs = wallStartMs + (frame * frameS * 1000) / options.speed;
    if (!stopped) timer = setTimeout(tick, Math.max(0, dueMs - Date.now()));
  };
  const wallStartMs = Date.now();
  timer = setTimeout(tick, 0);

  return {
    done,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      resolveDone();
      await client.endAsync();
    },
  };
}
