import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../simulators/seeded-random.js';
import { WaveformPayload } from '../../../shared/schema/index.js';
import { validator } from '../../../shared/validation.js';
import { readJsonWaveform, readShortNumbers } from './json-waveform.js';

/** Sample text as publishers write it: shortest doubles, float32 values, integers, exponents, -0. */
function sampleTexts(count: number, seed: number): string[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const v = (next() - 0.5) * 10 ** Math.floor(next() * 8 - 4);
    switch (i % 7) {
      case 0:
        return String(v);
      case 1:
        return String(Math.fround(v));
      case 2:
        return String(Math.round(v * 1000));
      case 3:
        return v.toExponential(6);
      case 4:
        return v.toFixed(4);
      case 5:
        return i % 2 ? '-0' : '0';
      default:
        return `${v.toPrecision(17)}`.toUpperCase();
    }
  });
}

const payload = (text: string) => Buffer.from(text, 'utf8');

/** Sample text of at most 15 significant digits, as sensors send it, in every form JSON allows. */
function shortSampleTexts(count: number, seed: number): string[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, (_, i) => {
    const digits = 1 + Math.floor(next() * 15);
    // 1e-7 to 1e6 in size: 15 digits then span at most 10^-22 to 10^6, powers a double holds exactly.
    const v = (next() < 0.5 ? -1 : 1) * (0.1 + 0.9 * next()) * 10 ** Math.floor(next() * 12 - 6);
    switch (i % 6) {
      case 0:
        return v.toPrecision(digits);
      case 1:
        return Number(v.toPrecision(digits))
          .toExponential(digits - 1)
          .replace('e+', i % 4 ? 'E+' : 'e');
      case 2:
        return String(Math.round(v * 10 ** digits) % 10 ** 15);
      case 3:
        return `0.${'0'.repeat(Math.floor(next() * 8))}${Math.floor(next() * 10 ** digits)}`;
      case 4:
        return i % 8 ? '-0' : '-0.0e-3';
      default:
        return `${(Math.floor(next() * 10 ** Math.min(digits, 6)) / 100).toFixed(2)}e${Math.floor(next() * 30) - 15}`;
    }
  });
}

describe('readJsonWaveform', () => {
  it('reads every sample exactly as JSON.parse does, wherever the samples are and however long', () => {
    for (const [count, seed] of [
      [64, 1],
      [1000, 2],
      [16_384, 3],
      [40_000, 4],
    ] as const) {
      const texts = sampleTexts(count, seed);
      const layouts = [
        `{"sampleRateHz":25600,"unit":"g","samples":[${texts.join(',')}]}`,
        `{"samples":[${texts.join(',')}],"ts":1700000000000,"sampleRateHz":25600,"unit":"m/s2","rpm":1480}`,
        `{\n  "unit": "g",\n  "samples" : [ ${texts.join(' ,\n ')} ] ,\n  "sampleRateHz": 12800\n}`,
      ];
      for (const text of layouts) {
        const expected = JSON.parse(text) as { samples: number[] };
        const read = readJsonWaveform(payload(text));
        expect(read, text.slice(0, 60)).toBeDefined();
        expect(read!.samples).toBeInstanceOf(Float64Array);
        expect(read!.samples.length).toBe(count);
        for (let i = 0; i < count; i++) {
          // Object.is: -0 stays -0, every bit of every double the same.
          if (!Object.is(read!.samples[i], expected.samples[i]))
            expect([i, read!.samples[i]]).toEqual([i, expected.samples[i]]);
        }
        const { samples: _samples, ...header } = expected;
        const { samples: _read, ...readHeader } = read!;
        expect(readHeader).toEqual(header);
      }
    }
  });

  it('reads numbers of up to 15 significant digits itself, each exactly as JSON.parse does', () => {
    const texts = shortSampleTexts(60_000, 11);
    const into = new Float64Array(texts.length);
    let read = 0;
    for (const [i, text] of texts.entries()) {
      // One at a time, with the spaces JSON allows around it.
      const bytes = payload(i % 3 ? text : ` \n${text}\t `);
      const count = readShortNumbers(bytes, 0, bytes.length, into, i);
      const expected = JSON.parse(text) as number;
      if (count !== 1 || !Object.is(into[i], expected))
        expect([text, count, into[i]]).toEqual([text, 1, expected]);
      read++;
    }
    expect(read).toBe(texts.length);
    // And as a list, in one call.
    const list = payload(texts.join(', '));
    expect(readShortNumbers(list, 0, list.length, into, 0)).toBe(texts.length);
    const all = JSON.parse(`[${texts.join(',')}]`) as number[];
    expect(all.every((v, i) => Object.is(v, into[i]))).toBe(true);
  });

  it('leaves to JSON.parse what it cannot read exactly or is not a list of JSON numbers', () => {
    const into = new Float64Array(8);
    const declined = [
      '0.12345678901234567', // 17 significant digits: a full double
      '1234567890123456', // 16 digits
      '1e23', // beyond the powers of ten a double holds
      '1.5e-23',
      '01', // a leading zero
      '.5',
      '1.',
      '+1',
      '-',
      '1e',
      '1e+',
      '1,,2',
      '1,2,',
      '1 2',
      'NaN',
      '"1"',
      '[1]',
      '',
      ' ',
    ];
    for (const text of declined) {
      const bytes = payload(text);
      expect(readShortNumbers(bytes, 0, bytes.length, into, 0), text).toBe(-1);
    }
    // Where JSON.parse takes over, the samples are still exact: full doubles read as ever.
    const long = Array.from({ length: 5000 }, (_, i) => String(Math.sin(i) / 3));
    const text = `{"sampleRateHz":1,"unit":"g","samples":[${[...shortSampleTexts(3000, 12), ...long].join(',')}]}`;
    const expected = (JSON.parse(text) as { samples: number[] }).samples;
    const samples = readJsonWaveform(payload(text))!.samples;
    expect(samples.length).toBe(expected.length);
    expect(expected.every((v, i) => Object.is(v, samples[i]))).toBe(true);
  });

  it('declines what it cannot read as plainly, so that the general path reports it as ever', () => {
    const numbers = sampleTexts(20_000, 5).join(',');
    const declined = {
      '"samples" first found inside a string (broken JSON)': `{"unit":"g\\"samples":[1,2],"sampleRateHz":1,"samples":[${numbers}]}`,
      'a string among the samples': `{"sampleRateHz":1,"unit":"g","samples":[${numbers},"7"]}`,
      'a nested array': `{"sampleRateHz":1,"unit":"g","samples":[[1,2],${numbers}]}`,
      'an empty element': `{"sampleRateHz":1,"unit":"g","samples":[${numbers},,1]}`,
      'a trailing comma': `{"sampleRateHz":1,"unit":"g","samples":[${numbers},]}`,
      'too few samples': `{"sampleRateHz":1,"unit":"g","samples":[1,2,3]}`,
      'no samples': `{"sampleRateHz":1,"unit":"g","samples":[]}`,
      'a second samples key': `{"sampleRateHz":1,"unit":"g","samples":[${numbers}],"samples":"x"}`,
      'an unknown field': `{"sampleRateHz":1,"unit":"g","colour":"red","samples":[${numbers}]}`,
      'a bad unit': `{"sampleRateHz":1,"unit":"furlongs","samples":[${numbers}]}`,
      'samples in a nested object': `{"sampleRateHz":1,"unit":"g","x":{"samples":[${numbers}]}}`,
      'an array, not an object': `[{"samples":[${numbers}]}]`,
      'broken JSON after the samples': `{"sampleRateHz":1,"unit":"g","samples":[${numbers}]`,
      'NaN among the samples': `{"sampleRateHz":1,"unit":"g","samples":[${numbers},NaN]}`,
      'a number beyond a double (Infinity)': `{"sampleRateHz":1,"unit":"g","samples":[${numbers},1e999]}`,
    };
    for (const [what, text] of Object.entries(declined)) {
      expect(readJsonWaveform(payload(text)), what).toBeUndefined();
    }
  });

  it('declines a trailing comma where an 8 KB piece is cut at it', () => {
    // 4,095 short numbers, then one long enough that the first comma past 8 KB is the trailing one.
    const numbers = [...Array.from({ length: 4095 }, () => '1'), `1.${'0'.repeat(2000)}1`].join(',');
    const text = `{"sampleRateHz":1,"unit":"g","samples":[${numbers},]}`;
    expect(() => JSON.parse(text)).toThrow();
    expect(readJsonWaveform(payload(text))).toBeUndefined();
    // The same without the comma is read.
    expect(readJsonWaveform(payload(text.replace(',]', ']')))?.samples.length).toBe(4096);
  });

  it.each([
    ['full doubles', sampleTexts(1500, 6)],
    ['short numbers, read without JSON.parse', shortSampleTexts(1500, 6)],
  ])(
    'never accepts what JSON.parse and the schema refuse, nor reads anything else: 600 mutated payloads of %s',
    (_, texts) => {
      const validate = validator(WaveformPayload, 'waveform payload');
      const valid = `{"ts":1700000000000,"sampleRateHz":25600,"unit":"g","rpm":1480,"samples":[${texts.join(',')}]}`;
      const next = seededRandom(7);
      const alphabet = '[]{},:"\\-+.eE0123456789 samplesunitgNaI';
      let read = 0;
      for (let round = 0; round < 600; round++) {
        let text = valid;
        for (let edits = 1 + Math.floor(next() * 3); edits > 0; edits--) {
          const at = Math.floor(next() * text.length);
          const char = alphabet[Math.floor(next() * alphabet.length)]!;
          const kind = Math.floor(next() * 3);
          text =
            kind === 0
              ? text.slice(0, at) + char + text.slice(at)
              : kind === 1
                ? text.slice(0, at) + text.slice(at + 1)
                : text.slice(0, at) + char + text.slice(at + 1);
        }
        const fast = readJsonWaveform(payload(text));
        if (!fast) continue;
        read++;
        // Whatever it reads, the general path reads the same.
        const general = validate(JSON.parse(text)) as { samples: number[] };
        expect([...fast.samples], text.slice(0, 80)).toEqual(general.samples);
        const { samples: _fast, ...fastHeader } = fast;
        const { samples: _general, ...generalHeader } = general;
        expect(fastHeader).toEqual(generalHeader);
      }
      // Most single-byte edits inside the numbers still leave a valid waveform: the check above ran.
      expect(read).toBeGreaterThan(100);
    },
  );
});
