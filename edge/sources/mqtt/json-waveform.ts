import { Type } from '@sinclair/typebox';
import { WaveformPayload } from '../../../shared/schema/index.js';
import { SchemaError, validator } from '../../../shared/validation.js';

/** A JSON waveform payload read by `readJsonWaveform`: its samples in a Float64Array. */
export type JsonWaveform = Omit<WaveformPayload, 'samples'> & { samples: Float64Array };

const validateHeader = validator(
  Type.Omit(WaveformPayload, ['samples'], { additionalProperties: false }),
  'waveform payload',
);

/** The schema's bounds on the number of samples (a payload outside them takes the general path). */
const MIN_SAMPLES = WaveformPayload.properties.samples.minItems ?? 1;
const MAX_SAMPLES = WaveformPayload.properties.samples.maxItems ?? Number.MAX_SAFE_INTEGER;

/** Bytes of sample text parsed at a time: small enough that V8 keeps each piece in its young generation. */
const CHUNK_BYTES = 8192;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const SAMPLES_KEY = Buffer.from('"samples"');

/**
 * A JSON waveform read without making its whole text a string, or undefined when the payload is
 * not a plain one (then the caller parses it with JSON.parse and the schema, for the same result or
 * the same error as ever).
 *
 * `JSON.parse(payload.toString())` of a 16,384-sample waveform (137 KB) made a 137 KB string and a
 * 128 KB array, both too large for V8's young generation: each went to fresh pages of its
 * large-object space, and the page faults and copies cost more than parsing the numbers (3.2 ms
 * of the event loop per waveform, a third of it in the kernel). Here the samples are parsed by
 * JSON.parse itself (so every number is read exactly as before), 8 KB of text at a time, into one
 * Float64Array, and the rest of the object on its own.
 */
export function readJsonWaveform(payload: Buffer): JsonWaveform | undefined {
  const key = topLevelKey(payload, SAMPLES_KEY);
  if (key < 0) return undefined;
  const colon = skipWhitespace(payload, key + SAMPLES_KEY.length);
  const open = skipWhitespace(payload, colon + 1);
  if (payload[colon] !== COLON || payload[open] !== OPEN_BRACKET) return undefined;
  const close = payload.indexOf(CLOSE_BRACKET, open + 1);
  if (close < 0) return undefined;
  const samples = numbersBetween(payload, open + 1, close);
  if (!samples) return undefined;
  // The rest of the object, with a placeholder where the samples were.
  let header: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(
      `${payload.toString('utf8', 0, open)}0${payload.toString('utf8', close + 1)}`,
    );
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
    header = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (header.samples !== 0) return undefined;
  delete header.samples;
  try {
    const valid = validateHeader(header) as JsonWaveform;
    valid.samples = samples;
    return valid;
  } catch (error) {
    if (error instanceof SchemaError) return undefined;
    throw error;
  }
}

/**
 * Where `key` (a quoted name) starts as a key of the outermost object, or -1. Its first occurrence
 * only, and only when it is outside every string and nested value: anything else is left to the
 * general path.
 */
function topLevelKey(payload: Buffer, key: Buffer): number {
  const at = payload.indexOf(key);
  if (at < 0) return -1;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < at; i++) {
    const byte = payload[i]!;
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return !inString && depth === 1 ? at : -1;
}

function skipWhitespace(payload: Buffer, from: number): number {
  let i = from;
  while (
    i < payload.length &&
    (payload[i] === 0x20 || payload[i] === 0x0a || payload[i] === 0x0d || payload[i] === 0x09)
  )
    i++;
  return i;
}

/** The numbers of the array text [start, end), or undefined when it holds anything but numbers. */
function numbersBetween(payload: Buffer, start: number, end: number): Float64Array | undefined {
  const pieces: number[][] = [];
  let count = 0;
  let cutAtComma = false;
  for (let from = start; from < end;) {
    // Cut at a comma, so that each piece is a list of whole numbers.
    let to = from + CHUNK_BYTES < end ? payload.indexOf(COMMA, from + CHUNK_BYTES) : end;
    if (to < 0 || to > end) to = end;
    cutAtComma = to < end;
    let piece: unknown;
    try {
      piece = JSON.parse(`[${payload.toString('latin1', from, to)}]`);
    } catch {
      return undefined;
    }
    const numbers = piece as unknown[];
    // Finite, as the schema wants: JSON.parse reads 1e999 as Infinity.
    for (let i = 0; i < numbers.length; i++) if (!Number.isFinite(numbers[i])) return undefined;
    if (numbers.length === 0) return undefined;
    pieces.push(numbers as number[]);
    count += numbers.length;
    if (count > MAX_SAMPLES) return undefined;
    from = to + 1;
  }
  // A comma just before the closing bracket (`[1, 2,]`) is not JSON.
  if (cutAtComma || count < MIN_SAMPLES) return undefined;
  const samples = new Float64Array(count);
  let offset = 0;
  for (const piece of pieces) {
    samples.set(piece, offset);
    offset += piece.length;
  }
  return samples;
}
