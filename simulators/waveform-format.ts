import { Option } from 'commander';
import type { WaveformPayload } from '../shared/schema/index.js';
import { encodeBinaryWaveform } from '../shared/waveform-binary.js';

/** How simulators put a waveform on the wire: JSON, or the binary format as float32 or int16. */
export const WAVEFORM_FORMATS = ['json', 'binary', 'binary-int16'] as const;
export type WaveformFormat = (typeof WAVEFORM_FORMATS)[number];

/** `sim vibration --format`, `replay --payload` (where `--format` already names the recording's format). */
export const waveformFormatOption = (flag: '--format' | '--payload'): Option =>
  new Option(
    `${flag} <format>`,
    'waveform payload: json, binary (float32; see edge/sources/mqtt/README.md) or binary-int16',
  )
    .choices(WAVEFORM_FORMATS)
    .default('json');

/**
 * The message body for a waveform. In JSON a float32 sample widened to a double prints in full, so
 * `Math.fround` of the parsed value is the recorded float32 exactly; the binary float32 format
 * carries it as is.
 */
export function waveformMessage(
  waveform: Omit<WaveformPayload, 'samples'> & { samples: ArrayLike<number> },
  format: WaveformFormat,
): string | Buffer {
  if (format === 'json') return JSON.stringify({ ...waveform, samples: Array.from(waveform.samples) });
  return encodeBinaryWaveform(waveform, format === 'binary' ? 'float32' : 'int16');
}
