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
 * of the event loop per waveform, a third of it in the kernel). Here the samples are read 8 KB of
 * text at a time into one Float64Array, and the rest of the object on its own. Numbers of up to 15
 * significant digits (what sensors send) are read here, exactly as JSON.parse reads them (see
 * readShortNumbers); a piece with any longer one goes to JSON.parse itself. Measured on 16,384
 * samples, once V8 has optimised both: 340 µs against 1,000–1,050 µs at 5 digits (141 KB); full
 * doubles (17 digits, 330 KB) take JSON.parse as before (1,740 µs against 1,790).
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

const KEPT_GATHERING = 65_536;
/** Where a payload's samples are gathered before they get an array of their own size. */
let gathered = new Float64Array(16_384);

/** The numbers of the array text [start, end), or undefined when it holds anything but numbers. */
function numbersBetween(payload: Buffer, start: number, end: number): Float64Array | undefined {
  let count = 0;
  let cutAtComma = false;
  for (let from = start; from < end;) {
    // Cut at a comma, so that each piece is a list of whole numbers.
    let to = from + CHUNK_BYTES < end ? payload.indexOf(COMMA, from + CHUNK_BYTES) : end;
    if (to < 0 || to > end) to = end;
    cutAtComma = to < end;
    // A piece holds at most one number per two bytes (a digit and a comma).
    const room = count + Math.ceil((to - from) / 2) + 1;
    if (room > gathered.length) {
      const larger = new Float64Array(Math.max(room, 2 * gathered.length));
      larger.set(gathered.subarray(0, count));
      gathered = larger;
    }
    let read = readShortNumbers(payload, from, to, gathered, count);
    if (read < 0) read = parsePiece(payload, from, to, gathered, count);
    if (read <= 0) return undefined;
    count += read;
    if (count > MAX_SAMPLES) return undefined;
    from = to + 1;
  }
  const samples = gathered.slice(0, count);
  // Kept for the next payload up to 64 Ki samples (512 KB); a larger one's is let go.
  if (gathered.length > KEPT_GATHERING) gathered = new Float64Array(KEPT_GATHERING);
  // A comma just before the closing bracket (`[1, 2,]`) is not JSON.
  if (cutAtComma || count < MIN_SAMPLES) return undefined;
  return samples;
}

/** The numbers of [from, to) read by JSON.parse into `into` from `at`: how many, or -1 if not all are finite numbers. */
function parsePiece(payload: Buffer, from: number, to: number, into: Float64Array, at: number): number {
  let numbers: unknown;
  try {
    numbers = JSON.parse(`[${payload.toString('latin1', from, to)}]`);
  } catch {
    return -1;
  }
  const list = numbers as unknown[];
  for (let i = 0; i < list.length; i++) {
    const value = list[i];
    // Finite, as the schema wants: JSON.parse reads 1e999 as Infinity.
    if (typeof value !== 'number' || !Number.isFinite(value)) return -1;
    into[at + i] = value;
  }
  return list.length;
}

/** Powers of ten a double holds exactly. */
const EXACT_POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);
/** Significant digits whose integer a double holds exactly (10^15 < 2^53). */
const EXACT_DIGITS = 15;

/**
 * The comma-separated JSON numbers of [from, to) into `into` from `at`, read without JSON.parse:
 * how many, or -1 as soon as one is not a number this reads exactly (the caller then gives the
 * piece to JSON.parse).
 *
 * Exact, as JSON.parse: a number of at most 15 significant digits is an integer a double holds
 * exactly, and so is a power of ten up to 10^22, so one multiplication or division rounds it once,
 * correctly (Clinger's fast path, the first thing every correct reader tries). That covers what
 * sensors send (a value to a few digits: 5 for `sim vibration`); full doubles (17 digits) and
 * anything JSON does not allow (a leading zero, `.5`, `1.`, `+1`, an empty element) go to JSON.parse.
 */
export function readShortNumbers(
  payload: Uint8Array,
  from: number,
  to: number,
  into: Float64Array,
  at: number,
): number {
  // Each byte read once, into `c`, and never past `to` (-1 there): the piece ends at `to` even
  // where the payload goes on.
  let i = from;
  let n = at;
  let c = i < to ? payload[i]! : -1;
  for (;;) {
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = ++i < to ? payload[i]! : -1;
    const negative = c === 0x2d;
    if (negative) c = ++i < to ? payload[i]! : -1;
    // JSON: an integer part of 0 or one not starting with 0, an optional fraction, an optional exponent.
    if (c < 0x30 || c > 0x39) return -1;
    const leadingZero = c === 0x30;
    let mantissa = 0;
    let digits = 0;
    let scale = 0;
    let integerDigits = 0;
    while (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      if (mantissa > 0) digits++;
      integerDigits++;
      c = ++i < to ? payload[i]! : -1;
    }
    if (leadingZero && integerDigits > 1) return -1;
    if (c === 0x2e) {
      c = ++i < to ? payload[i]! : -1;
      if (c < 0x30 || c > 0x39) return -1;
      while (c >= 0x30 && c <= 0x39) {
        mantissa = mantissa * 10 + (c - 0x30);
        if (mantissa > 0) digits++;
        scale--;
        c = ++i < to ? payload[i]! : -1;
      }
    }
    if (c === 0x65 || c === 0x45) {
      c = ++i < to ? payload[i]! : -1;
      const negativeExponent = c === 0x2d;
      if (negativeExponent || c === 0x2b) c = ++i < to ? payload[i]! : -1;
      if (c < 0x30 || c > 0x39) return -1;
      let exponent = 0;
      while (c >= 0x30 && c <= 0x39) {
        if (exponent > 1000) return -1;
        exponent = exponent * 10 + (c - 0x30);
        c = ++i < to ? payload[i]! : -1;
      }
      scale += negativeExponent ? -exponent : exponent;
    }
    if (digits > EXACT_DIGITS) return -1;
    let value: number;
    if (mantissa === 0 || scale === 0) value = mantissa;
    else if (scale < 0 && scale >= -22) value = mantissa / EXACT_POWERS_OF_TEN[-scale]!;
    else if (scale > 0 && scale <= 22) value = mantissa * EXACT_POWERS_OF_TEN[scale]!;
    else return -1;
    into[n++] = negative ? -value : value;
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = ++i < to ? payload[i]! : -1;
    if (c === -1) return n - at;
    if (c !== COMMA) return -1;
    c = ++i < to ? payload[i]! : -1;
  }
}
