import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogBearing, defectMultiples } from '../../shared/bearings.js';
import { BEARING_DATA } from '../../test/helpers/bearing-data.js';
import { parseBatchIndex } from './batch-index.js';

const fixtureIndex = (folder: string) => {
  const path = join(BEARING_DATA, folder, 'index.json');
  return parseBatchIndex(path, readFileSync(path, 'utf8'));
};
const index = (files: unknown[], top: Record<string, unknown> = {}) => JSON.stringify({ ...top, files });
const SKF_6205 = defectMultiples(catalogBearing('skf-6205').geometry);

describe('batch index', () => {
  it('reads the CWRU development folder: label, rate, rpm and the catalog bearing of each file', () => {
    const entries = fixtureIndex('cwru-dev');
    expect(entries.map((e) => [e.name, e.label, e.expected, e.rpm])).toEqual([
      ['normal_000_0hp_097.f32', 'normal', 'none', 1796],
      ['inner_021_1hp_210.f32', 'inner', 'inner_race', 1774],
      ['outer_007_1hp_131.f32', 'outer', 'outer_race', 1773],
      ['ball_021_1hp_223.f32', 'ball', 'rolling_element', 1774],
    ]);
    for (const entry of entries) {
      expect(entry).toMatchObject({ sampleRateHz: 12000, start: 0, sampleCount: 24000 });
      // The entry's own table comes first; its bsf 4.7135 is CWRU's 2 × ball spin, read as spin 2.357.
      expect(entry.bearing).toEqual({
        name: 'multiples',
        multiples: { bpfo: 3.5848, bpfi: 5.4152, bsf: 2.35675, ftf: 0.39828 },
      });
      expect(entry.bearing!.multiples.bsf).toBeCloseTo(SKF_6205.bsf, 3);
      expect(entry.format).toBeUndefined(); // the top-level "format" there is prose
    }
  });

  it('reads the IMS development folder as one unlabelled record per snapshot', () => {
    const entries = fixtureIndex('ims-dev');
    expect(entries).toHaveLength(16 + 23);
    expect(entries[1]).toMatchObject({
      name: 'test3_b3.f32@1',
      file: 'test3_b3.f32',
      start: 20480,
      length: 20480,
      sampleRateHz: 20000,
      rpm: 2000,
      bearing: { name: 'rexnord-za-2115' },
    });
    expect(entries[1]!.label).toBeUndefined();
    expect(entries[16]!.name).toBe('test1_b1_early.f32@0');
  });

  it('takes a label per snapshot over the series label', () => {
    const text = JSON.stringify({
      sample_rate_hz: 20000,
      shaft_rpm: 2000,
      samples_per_snapshot: 1000,
      series: [{ file: 's.f32', label: 'normal', snapshots: [{ index: 0 }, { index: 5, label: 'outer' }] }],
    });
    expect(parseBatchIndex('i.json', text).map((e) => [e.name, e.start, e.expected])).toEqual([
      ['s.f32@0', 0, 'none'],
      ['s.f32@5', 5000, 'outer_race'],
    ]);
  });

  it('accepts a bearing as catalog id, multiples or geometry; reads a 2 × BSF table value as ball spin', () => {
    const entries = parseBatchIndex(
      'i.json',
      index(
        [
          { file: 'a.f32', bearing: 'skf-6203' },
          { file: 'b.f32', bearing: { bpfo: 3.5848, bpfi: 5.4152, bsf: 2.357, ftf: 0.39828 } },
          {
            file: 'c.f32',
            multiples_of_shaft_speed: { bpfo: 3.5848, bpfi: 5.4152, bsf: 4.7135, ftf: 0.39828 },
          },
          {
            file: 'd.f32',
            bearing: { rolling_elements: 9, ball_diameter_mm: 7.94, pitch_diameter_mm: 39.04 },
          },
          { file: 'e.f32', unit: 'm/s2', format: 'f64le' },
        ],
        { sample_rate_hz: 25600, rpm: 1480 },
      ),
    );
    expect(entries[0]!.bearing?.name).toBe('skf-6203');
    expect(entries[1]!.bearing?.multiples.bsf).toBe(2.357);
    expect(entries[2]!.bearing).toMatchObject({ name: 'multiples', multiples: { bsf: 2.35675 } });
    expect(entries[3]!.bearing?.name).toBe('geometry');
    expect(entries[3]!.bearing?.multiples.bpfo).toBeCloseTo(3.585, 2);
    expect(entries[4]).toMatchObject({ unit: 'm/s2', format: 'f64le', sampleRateHz: 25600, rpm: 1480 });
    expect(entries[4]!.bearing).toBeUndefined();
  });

  it('takes a shaft-speed range where only that is known, as "rpm": "min-max" or "rpm_range"', () => {
    const entries = parseBatchIndex(
      'd/index.json',
      index(
        [
          { file: 'a.f32', rpm: '1700-1800' },
          { file: 'b.f32', rpm_range: [1650, 1750] },
          { file: 'c.f32', rpm: 1773, rpm_range: '1700..1800' },
          { file: 'd.f32' },
        ],
        { sample_rate_hz: 12000, rpm_range: [1500, 1900] },
      ),
    );
    expect(entries.map((e) => [e.rpm, e.rpmRange])).toEqual([
      [undefined, { min: 1700, max: 1800 }],
      [undefined, { min: 1650, max: 1750 }],
      [1773, { min: 1700, max: 1800 }],
      [undefined, { min: 1500, max: 1900 }],
    ]);
    expect(() =>
      parseBatchIndex('d/index.json', index([{ file: 'e.f32', sample_rate_hz: 12000, rpm: 'fast' }])),
    ).toThrow('d/index.json: files[0] (e.f32): bad "rpm" "fast": a number, or a range like "1700-1800"');
  });

  it('names the index, the entry, its file and the field of every problem at once', () => {
    const text = index(
      [
        { file: 'a.f32', label: 'wobbly', sample_rate_hz: 12000, rpm: 1700 },
        { file: 'b.f32', label: 'outer', sample_rate_hz: '12k', rpm: 1700 },
        { file: 'c.f32', label: 'outer', sample_rate_hz: 12000 },
        { label: 'outer', sample_rate_hz: 12000, rpm: 1700 },
        { file: 'e.f32', sample_rate_hz: 12000, rpm: 1700, bearing: 'acme-42' },
        { file: 'f.f32', sample_rate_hz: 12000, rpm: 1700, bearing: { bpfo: 3.5 } },
        { file: 'g.f32', sample_rate_hz: 12000, rpm: 1700, format: 'wav', unit: 'mm' },
        { file: 'ok.f32', sample_rate_hz: 12000, rpm: 1700 },
      ],
      { sample_rate_hz: undefined },
    );
    let message = '';
    try {
      parseBatchIndex('d/index.json', text);
    } catch (error) {
      message = (error as Error).message;
    }
    const lines = message.split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(
      /^d\/index\.json: files\[0\] \(a\.f32\): "label" "wobbly" names no fault; use one of normal, healthy/,
    );
    expect(lines[1]).toBe(
      'd/index.json: files[1] (b.f32): bad ("12k") "sample_rate_hz" or "fs", a positive number',
    );
    expect(lines[2]).toBe(
      'd/index.json: files[2] (c.f32): missing "rpm", the shaft speed (or "rpm_range": [min, max] when only its range is known)',
    );
    expect(lines[3]).toMatch(/^d\/index\.json: files\[3\]: missing "file"/);
    expect(lines[4]).toMatch(
      /^d\/index\.json: files\[4\] \(e\.f32\): "bearing" "acme-42" is not in the catalog \(skf-6205/,
    );
    expect(lines[5]).toBe(
      'd/index.json: files[5] (f.f32): "bearing" needs all four multiples of shaft speed as positive numbers; bad or missing "bpfi", "bsf", "ftf"',
    );
    expect(lines[6]).toMatch(
      /^d\/index\.json: files\[6\] \(g\.f32\): bad "format" "wav"; one of f32le, f64le, csv/,
    );
  });

  it('refuses an index without a list of records', () => {
    expect(() => parseBatchIndex('d/index.json', '{"title": "x"}')).toThrow(
      'd/index.json: needs a "files" (or "series") array',
    );
    expect(() => parseBatchIndex('d/index.json', '{"files": []}')).toThrow('d/index.json: "files" is empty');
    expect(() => parseBatchIndex('d/index.json', '{"files": [')).toThrow('d/index.json: not JSON');
  });
});
