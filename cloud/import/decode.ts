import iconv from 'iconv-lite';

export const ENCODINGS = ['auto', 'utf-8', 'gbk'] as const;
export type EncodingChoice = (typeof ENCODINGS)[number];
/** What the file was read as; `utf-8-bom` is UTF-8 that starts with a byte order mark. */
export type DetectedEncoding = 'utf-8' | 'utf-8-bom' | 'gbk';

export interface Decoded {
  text: string;
  encoding: DetectedEncoding;
}

/** Where a byte sequence was not valid in the chosen encoding, the decoders put this character. */
export const REPLACEMENT = '\uFFFD';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const lenientUtf8 = new TextDecoder('utf-8');

/**
 * Reads the file's bytes as text. `auto`: a BOM or valid UTF-8 is UTF-8, anything else is taken as
 * GBK (what spreadsheet programs on Chinese Windows save CSV as). Bytes invalid in the encoding
 * become U+FFFD; the row checks report them with their row and field.
 */
export function decodeBytes(bytes: Uint8Array, choice: EncodingChoice): Decoded {
  const hasBom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  if (choice === 'gbk') return { text: iconv.decode(Buffer.from(bytes), 'gbk'), encoding: 'gbk' };
  if (hasBom) return { text: lenientUtf8.decode(bytes.subarray(3)), encoding: 'utf-8-bom' };
  if (choice === 'utf-8') return { text: lenientUtf8.decode(bytes), encoding: 'utf-8' };
  try {
    return { text: strictUtf8.decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: iconv.decode(Buffer.from(bytes), 'gbk'), encoding: 'gbk' };
  }
}
