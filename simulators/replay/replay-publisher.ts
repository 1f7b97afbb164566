/** Publishes recordings as waveform messages, paced against the wall clock, and counts what it sent. */
import { measurementTopic, type AccelerationUnit } from '../../shared/schema/index.js';
import { type WaveformFormat, waveformMessage } from '../waveform-format.js';
import type { Recording } from './recording-sources.js';
import { dueWallMs, passTotals, planFrames } from './replay-plan.js';
import type { ReplayProgress } from './progress-bar.js';

/** The part of an MQTT client replay uses (mqtt.js's `MqttClient` fits). */
export interface WaveformPublisher {
  publishAsync(topic: string, payload: string | Buffer, options: { qos: 0 | 1 }): Promise<unknown>;
}

export interface ReplayOptions {
  recordings: Recording[];
  topicPrefix: string;
  unit: AccelerationUnit;
  /** JSON (default) or the binary waveform format. */
  format?: WaveformFormat;
  /** Samples per message. */
  frame: number;
  /** 1 = real time. */
  speed: number;
  /** Passes over the recordings; 0 = until stopped. */
  loops: number;
  /** Epoch ms of the first sample. */
  startTimeMs: number;
  /** A publish not acknowledged within this counts as refused. */
  publishTimeoutMs?: number;
  onProgress?: (progress: ReplayProgress) => void;
}

export interface FileSummary {
  file: string;
  assetId: string;
  channel: string;
  sampleRateHz: number;
  rpm: number | null;
  bearing: string | null;
  frames: number;
  samples: number;
  simulatedS: number;
  refused: number;
}

export interface ReplaySummary {
  frames: number;
  samples: number;
  simulatedS: number;
  wallS: number;
  effectiveSpeed: number;
  refused: number;
  loops: number;
  stopped: boolean;
  files: FileSummary[];
}

export interface RunningReplay {
  /** Resolves with the summary when the last frame is sent, or when stopped. */
  done: Promise<ReplaySummary>;
  /** Stops after the frame in flight; resolves with the summary so far. */
  stop(): Promise<ReplaySummary>;
}

export function startReplay(client: WaveformPublisher, options: ReplayOptions): RunningReplay {
  const { recordings, frame, speed, loops } = options;
  const shapes = recordings.map((r) => ({ sampleCount: r.samples.length, sampleRateHz: r.sampleRateHz }));
  const pass = passTotals(shapes, frame);
  const totalFrames = loops === 0 ? undefined : pass.frames * loops;
  const totalS = loops === 0 ? undefined : pass.seconds * loops;
  const files: FileSummary[] = recordings.map((r) => ({
    file: r.file,
    assetId: r.assetId,
    channel: r.channel,
    sampleRateHz: r.sampleRateHz,
    rpm: r.rpm ?? null,
    bearing: r.bearing ?? null,
    frames: 0,
    samples: 0,
    simulatedS: 0,
    refused: 0,
  }));
  const timeoutMs = options.publishTimeoutMs ?? 10_000;
  let frames = 0;
  let samples = 0;
  let simulatedS = 0;
  let loopsDone = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const wallStartMs = Date.now();

  const summary = (): ReplaySummary => {
    const wallS = (Date.now() - wallStartMs) / 1000;
    return {
      frames,
      samples,
      simulatedS,
      wallS,
      effectiveSpeed: wallS > 0 ? simulatedS / wallS : 0,
      refused: files.reduce((n, f) => n + f.refused, 0),
      loops: loopsDone,
      stopped,
      files: files.map((f) => ({ ...f })),
    };
  };

  const sleepUntil = (wallMs: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, Math.max(0, wallMs - Date.now()));
    });

  const publish = async (topic: string, payload: string | Buffer): Promise<boolean> => {
    let timeout: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.publishAsync(topic, payload, { qos: 1 }),
        new Promise((_, reject) => {
          timeout = setTimeout(() => reject(new Error('no acknowledgement')), timeoutMs);
        }),
      ]);
      return true;
    } catch {
      return false;
    } finally {
      clearTimeout(timeout);
    }
  };

  const run = async (): Promise<ReplaySummary> => {
    for (const planned of planFrames(shapes, frame, loops)) {
      await sleepUntil(wallStartMs + dueWallMs(planned.dataEndS, speed));
      if (stopped) break;
      const recording = recordings[planned.recording]!;
      const file = files[planned.recording]!;
      const payload = {
        ts: Math.round(options.startTimeMs + planned.dataStartS * 1000),
        sampleRateHz: recording.sampleRateHz,
        unit: options.unit,
        ...(recording.rpm !== undefined ? { rpm: recording.rpm } : {}),
        samples: recording.samples.subarray(planned.start, planned.end),
      };
      const topic = measurementTopic(options.topicPrefix, recording.assetId, recording.channel, 'waveform');
      const count = planned.end - planned.start;
      if (!(await publish(topic, waveformMessage(payload, options.format ?? 'json')))) file.refused++;
      frames++;
      samples += count;
      simulatedS = planned.dataEndS;
      file.frames++;
      file.samples += count;
      file.simulatedS += count / recording.sampleRateHz;
      if (planned.recording === recordings.length - 1 && planned.end === recording.samples.length) {
        loopsDone = planned.loop + 1;
      }
      options.onProgress?.({
        frame: frames,
        ...(totalFrames !== undefined ? { totalFrames } : {}),
        simulatedS,
        ...(totalS !== undefined ? { totalS } : {}),
        speed,
        wallS: (Date.now() - wallStartMs) / 1000,
        loop: planned.loop,
      });
      if (stopped) break;
    }
    return summary();
  };

  const done = run();
  return {
    done,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      return done;
    },
  };
}
