import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../../simulators/seeded-random.js';
import { WaveformPayload } from '../../../shared/schema/index.js';
import { validator } from '../../../shared/validation.js';
import { readJsonWaveform } from './json-waveform.js';

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

  it('never accepts what JSON.parse and the schema refuse, nor reads anything else: 600 mutated payloads', () => {
    const validate = validator(WaveformPayload, 'waveform payload');
    const valid = `{"ts":1700000000000,"sampleRateHz":25600,"unit":"g","rpm":1480,"samples":[${sampleTexts(1500, 6).join(',')}]}`;
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
  });
});
