import { describe, expect, it } from 'vitest';
import { decodeBinaryWaveform, encodeBinaryWaveform } from './waveform-binary.js';

const samples = Array.from({ length: 1024 }, (_, i) => Math.sin(i / 5) * 0.7 + (i % 7) * 0.01);
const WAVEFORM = { ts: 1_764_000_000_000, sampleRateHz: 25_600, unit: 'g' as const, rpm: 1480, samples };

describe('binary waveform payloads', () => {
  it('round-trips float32 exactly to float32 precision, and int16 within one step of its scale', () => {
    const float = decodeBinaryWaveform(encodeBinaryWaveform(WAVEFORM));
    expect(float).toMatchObject({ ts: WAVEFORM.ts, sampleRateHz: 25_600, unit: 'g', rpm: 1480 });
    expect(Array.from(float.samples)).toEqual(samples.map(Math.fround));
    const int16 = decodeBinaryWaveform(encodeBinaryWaveform(WAVEFORM, 'int16'));
    const step = Math.max(...samples.map(Math.abs)) / 32767;
    int16.samples.forEach((v, i) => expect(Math.abs(v - samples[i]!)).toBeLessThanOrEqual(step));
    expect(encodeBinaryWaveform(WAVEFORM, 'int16').length).toBe(48 + 2 * 1024);
  });

  it('scales float32 samples into a copy, leaving the payload as it came (the broker may deliver it again)', () => {
    const encoded = encodeBinaryWaveform(WAVEFORM);
    encoded.writeDoubleLE(2, 40);
    const before = Buffer.from(encoded);
    const decoded = decodeBinaryWaveform(encoded);
    expect(decoded.samples[10]).toBeCloseTo(2 * samples[10]!, 5);
    expect(encoded.equals(before)).toBe(true);
    expect(decodeBinaryWaveform(encoded).samples[10]).toBe(decoded.samples[10]);
  });

  it('views aligned float32 samples in place and copies unaligned ones', () => {
    const encoded = encodeBinaryWaveform({ ...WAVEFORM, ts: undefined, rpm: undefined });
    const aligned = new Uint8Array(new ArrayBuffer(encoded.length + 8), 8, encoded.length);
    aligned.set(encoded);
    const view = decodeBinaryWaveform(aligned);
    expect(view.samples.buffer).toBe(aligned.buffer);
    expect(view).not.toHaveProperty('ts');
    expect(view).not.toHaveProperty('rpm');
    const unaligned = new Uint8Array(new ArrayBuffer(encoded.length + 3), 3, encoded.length);
    unaligned.set(encoded);
    expect(Array.from(decodeBinaryWaveform(unaligned).samples)).toEqual(Array.from(view.samples));
  });

  it('names the field and its bytes for every header problem', () => {
    const bad = (patch: (b: Buffer) => void, source = encodeBinaryWaveform(WAVEFORM)) => {
      const copy = Buffer.from(source);
      patch(copy);
      return () => decodeBinaryWaveform(copy);
    };
    expect(() => decodeBinaryWaveform(Buffer.from('PWWF'))).toThrow(
      'binary waveform: 4 bytes is shorter than the 48-byte header',
    );
    expect(bad((b) => b.writeUInt8(2, 4))).toThrow('version (byte 4) is 2; this agent reads version 1');
    expect(bad((b) => b.writeUInt8(9, 5))).toThrow(
      'sample encoding (byte 5) is 9; use 1 (float32) or 2 (int16)',
    );
    expect(bad((b) => b.writeUInt8(3, 6))).toThrow('unit (byte 6) is 3; use 1 (g) or 2 (m/s2)');
    expect(bad((b) => b.writeUInt8(4, 7))).toThrow('flags (byte 7) is 4');
    expect(bad((b) => b.writeUInt32LE(1025, 8))).toThrow(
      '4144 bytes, but a header announcing 1025 float32 samples needs exactly 4148',
    );
    expect(bad((b) => b.writeUInt32LE(10, 8))).toThrow(
      'sample count (bytes 8–11) is 10; it must be 64–1048576',
    );
    expect(bad((b) => b.writeDoubleLE(1.5, 16))).toThrow('ts (bytes 16–23) is 1.5');
    expect(bad((b) => b.writeDoubleLE(Number.NaN, 24))).toThrow('sampleRateHz (bytes 24–31) is NaN');
    expect(bad((b) => b.writeDoubleLE(-3, 32))).toThrow('rpm (bytes 32–39) is -3');
    expect(bad((b) => b.writeDoubleLE(0, 40))).toThrow('scale (bytes 40–47) is 0');
  });
});
