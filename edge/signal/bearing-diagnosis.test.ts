import { describe, expect, it } from 'vitest';
import type { DefectMultiples } from '../../shared/bearings.js';
import { SKF_6205, SYNTHETIC_CASES, ZA_2115 } from '../../simulators/vibration/bearing-fault-cases.js';
import { bearingFindings } from './bearing-diagnosis.js';
import { diagnoseRecord } from './diagnosis.js';
import type { AveragedSpectra } from './spectra-accumulator.js';

const BIN_HZ = 0.25;

/**
 * An envelope spectrum with a flat floor of 1 and single-bin lines of the given SNR: each line's
 * position and strength is exact, so a test states precisely which lines coincide.
 */
function envelopeWith(lines: [hz: number, snr: number][]): AveragedSpectra {
  const envelope = new Float64Array(4096).fill(1);
  for (const [hz, snr] of lines) envelope[Math.round(hz / BIN_HZ)] = snr;
  return {
    sampleRateHz: 2048,
    windowSize: 8192,
    windows: 1,
    binHz: BIN_HZ,
    meanSquare: new Float64Array(4096),
    amplitude: new Float64Array(4096),
    envelope,
    envelopeBand: { lowHz: 500, highHz: 900 },
  };
}

const faultsOf = (spectra: AveragedSpectra, multiples: DefectMultiples, shaftHz: number) =>
  bearingFindings(spectra, multiples, shaftHz).findings.map((f) => f.fault);

describe('one line, one family', () => {
  // 2×BSF placed exactly on BPFO+1×, so neither the slip nor the search band can separate them:
  // only attribution can.
  const coinciding: DefectMultiples = { bpfo: 3.5, bpfi: 5.5, bsf: 2.25, ftf: 0.4 };
  const shaftHz = 30;

  it('does not take an outer-race line’s 1× sideband, with its FTF-spaced neighbours, as a ball defect', () => {
    const spectra = envelopeWith([
      [105, 8], // BPFO
      [210, 5], // 2×BPFO
      [315, 4], // 3×BPFO
      [135, 7], // BPFO+1× = 2×BSF
      [123, 6], // 135 − FTF
      [147, 6], // 135 + FTF
      [12, 5], // FTF
      [24, 5], // 2×FTF
    ]);
    const { findings, assessments } = bearingFindings(spectra, coinciding, shaftHz);
    // Before attribution the ball scored higher (fundamental, two sidebands, two modulation lines).
    expect(findings.map((f) => f.fault)).toEqual(['outer_race']);
    const ball = assessments.find((a) => a.fault === 'rolling_element')!;
    expect(ball.explainedBy).toMatch(/BPFO\+1×/);
    expect(ball.score).toBe(0);
  });

  it('lets the family whose fundamental and harmonics fit better keep the line', () => {
    // The same coincidence the other way round: a strong ball series whose line 1× below is a weak BPFO.
    const spectra = envelopeWith([
      [135, 12], // 2×BSF
      [270, 8],
      [405, 6],
      [123, 5], // 2×BSF − FTF
      [147, 5], // 2×BSF + FTF
      [105, 4], // BPFO = 2×BSF − 1×
    ]);
    const { findings, assessments } = bearingFindings(spectra, coinciding, shaftHz);
    expect(findings.map((f) => f.fault)).toEqual(['rolling_element']);
    expect(assessments.find((a) => a.fault === 'outer_race')!.explainedBy).toMatch(/2×BSF−1×/);
  });

  it('does not take a roller’s FTF sideband as an inner-race defect (ZA-2115: 2×BSF+FTF is 0.8 % below BPFI)', () => {
    const shaft = 2000 / 60;
    const ball = 2 * ZA_2115.bsf * shaft * 0.985;
    const ftf = ZA_2115.ftf * shaft * 0.985;
    const spectra = envelopeWith([
      [ball, 10],
      [2 * ball, 7],
      [ball - ftf, 7],
      [ball + ftf, 7], // within the BPFI band at the bearing's −1.5 %
      [ftf, 5],
    ]);
    const { findings, assessments } = bearingFindings(spectra, ZA_2115, shaft);
    expect(findings.map((f) => f.fault)).toEqual(['rolling_element']);
    expect(assessments.find((a) => a.fault === 'inner_race')!.explainedBy).toMatch(/2×BSF\+FTF/);
    // The FTF line is the roller's modulation, not a cage finding of its own.
    expect(assessments.find((a) => a.fault === 'cage')!.explainedBy).toMatch(/2×BSF's/);
  });

  it('still reports two defects that share the bearing’s slip and explain none of each other’s lines', () => {
    const shaft = 29.55;
    const bpfo = SKF_6205.bpfo * shaft * 0.985;
    const bpfi = SKF_6205.bpfi * shaft * 0.985;
    const spectra = envelopeWith([
      [bpfo, 10],
      [2 * bpfo, 6],
      [bpfi, 8],
      [2 * bpfi, 5],
      [bpfi - shaft, 4],
      [bpfi + shaft, 4],
    ]);
    expect(faultsOf(spectra, SKF_6205, shaft).sort()).toEqual(['inner_race', 'outer_race']);
  });
});

describe('one slip per bearing', () => {
  const shaft = 29.55;

  it('searches the other families at the slip the strongest one shows, not each at its own', () => {
    const bpfi = SKF_6205.bpfi * shaft * 0.985; // −1.5 %
    const foreign = 2 * SKF_6205.bsf * shaft * 0.968; // −3.2 %: inside the free band, not at the bearing's slip
    const spectra = envelopeWith([
      [bpfi, 10],
      [2 * bpfi, 7],
      [bpfi - shaft, 4],
      [bpfi + shaft, 4],
      [foreign, 7],
      [2 * foreign, 5],
    ]);
    const { findings, assessments } = bearingFindings(spectra, SKF_6205, shaft);
    expect(findings.map((f) => f.fault)).toEqual(['inner_race']);
    const inner = findings[0]!;
    expect(inner.evidence.reasoning.join('\n')).toMatch(/sets the bearing's slip \(−1\.[4-6] %\)/);
    const ball = assessments.find((a) => a.fault === 'rolling_element')!;
    expect(ball.slip?.deviation).toBeCloseTo(-0.015, 2);
    expect(ball.fundamental!.snr).toBeLessThan(2); // the floor: the foreign line lies outside its search
  });

  it('finds a second family at the shared slip and says where the slip was measured', () => {
    const bpfo = SKF_6205.bpfo * shaft * 0.985;
    const ball = 2 * SKF_6205.bsf * shaft * 0.985;
    const ftf = SKF_6205.ftf * shaft * 0.985;
    const spectra = envelopeWith([
      [bpfo, 12],
      [2 * bpfo, 8],
      [ball, 6],
      [ball - ftf, 4],
      [ball + ftf, 4],
    ]);
    const { findings } = bearingFindings(spectra, SKF_6205, shaft);
    const rolling = findings.find((f) => f.fault === 'rolling_element');
    expect(rolling?.frequencyHz).toBeCloseTo(ball, 0);
    expect(rolling?.evidence.reasoning.join('\n')).toMatch(
      /searched at the bearing's slip −1\.[4-6] %, measured on BPFO/,
    );
  });
});

describe('cage findings need what a new bearing does not show', () => {
  const shaft = 2000 / 60;
  const ftf = ZA_2115.ftf * shaft;

  it('reports no cage defect for a cage line with harmonics alone', () => {
    expect(
      faultsOf(
        envelopeWith([
          [ftf, 7],
          [2 * ftf, 5],
          [3 * ftf, 4],
        ]),
        ZA_2115,
        shaft,
      ),
    ).toEqual([]);
  });

  it('reports a cage defect that modulates an outer-race defect', () => {
    const bpfo = ZA_2115.bpfo * shaft * 0.98;
    const cage = ftf * 0.98;
    const spectra = envelopeWith([
      [bpfo, 10],
      [2 * bpfo, 6],
      [bpfo - cage, 5],
      [bpfo + cage, 5],
      [cage, 6],
      [2 * cage, 4],
    ]);
    expect(faultsOf(spectra, ZA_2115, shaft)).toContain('cage');
  });

  it('reports a cage line that stands far above its floor with its harmonics', () => {
    const spectra = envelopeWith([
      [ftf, 14],
      [2 * ftf, 6],
      [3 * ftf, 4],
    ]);
    expect(faultsOf(spectra, ZA_2115, shaft)).toEqual(['cage']);
  });
});

describe('synthetic records through the whole diagnosis', () => {
  for (const c of SYNTHETIC_CASES) {
    it(`${c.name}: ${c.fault ?? 'no finding'}`, () => {
      const diagnosis = diagnoseRecord(c.samples(), {
        sampleRateHz: c.sampleRateHz,
        rpm: c.rpm,
        unit: 'g',
        bearing: c.bearing,
      });
      const faults = diagnosis.findings.map((f) => f.fault);
      if (c.fault === null) expect(faults).toEqual([]);
      else expect(faults[0]).toBe(c.fault);
      for (const fault of c.notFaults) expect(faults).not.toContain(fault);
      for (const fault of c.alsoFaults ?? []) expect(faults).toContain(fault);
    });
  }
});
