/**
 * The replay's timeline, pure: which samples go in which frame, and when each frame is due on the
 * data's clock. Recordings play one after another; loops repeat the list with the clock running on,
 * so timestamps never go backwards.
 */

/** The payload minimum (README "MQTT payloads"): a shorter tail joins the frame before it. */
export const MIN_FRAME_SAMPLES = 64;

export interface PlannedFrame {
  recording: number;
  loop: number;
  /** Sample range in the recording, [start, end). */
  start: number;
  end: number;
  /** Seconds from the replay's first sample to this frame's first sample, on the data's clock. */
  dataStartS: number;
  /** ... and to its last sample's end: when a sensor capturing it in real time would publish it. */
  dataEndS: number;
}

export interface RecordingShape {
  sampleCount: number;
  sampleRateHz: number;
}

/** Frame boundaries of one recording: `frame` samples each, a tail under 64 samples merged into the last. */
export function frameBounds(sampleCount: number, frame: number): [number, number][] {
  const bounds: [number, number][] = [];
  for (let start = 0; start < sampleCount; start += frame) {
    bounds.push([start, Math.min(sampleCount, start + frame)]);
  }
  const last = bounds[bounds.length - 1];
  if (bounds.length > 1 && last && last[1] - last[0] < MIN_FRAME_SAMPLES) {
    bounds.pop();
    bounds[bounds.length - 1]![1] = sampleCount;
  }
  return bounds;
}

export const recordingSeconds = (r: RecordingShape): number => r.sampleCount / r.sampleRateHz;

/** Frames and seconds of one pass over all recordings. */
export function passTotals(recordings: RecordingShape[], frame: number): { frames: number; seconds: number } {
  let frames = 0;
  let seconds = 0;
  for (const r of recordings) {
    frames += frameBounds(r.sampleCount, frame).length;
    seconds += recordingSeconds(r);
  }
  return { frames, seconds };
}

/** Every frame in order; `loops` 0 = for ever. */
export function* planFrames(
  recordings: RecordingShape[],
  frame: number,
  loops: number,
): Generator<PlannedFrame> {
  const bounds = recordings.map((r) => frameBounds(r.sampleCount, frame));
  let clockS = 0;
  for (let loop = 0; loops === 0 || loop < loops; loop++) {
    for (let recording = 0; recording < recordings.length; recording++) {
      const { sampleRateHz } = recordings[recording]!;
      for (const [start, end] of bounds[recording]!) {
        yield {
          recording,
          loop,
          start,
          end,
          dataStartS: clockS + start / sampleRateHz,
          dataEndS: clockS + end / sampleRateHz,
        };
      }
      clockS += recordingSeconds(recordings[recording]!);
    }
  }
}

/** Wall-clock ms from the replay's start at which a frame is due: from the start, so delays never add up. */
export const dueWallMs = (dataEndS: number, speed: number): number => (dataEndS * 1000) / speed;
