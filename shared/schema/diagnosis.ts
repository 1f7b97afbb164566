import { type Static, Type } from '@sinclair/typebox';
import { Fault } from './fault.js';

/** One spectral line looked for, as found: what a ticket shows as the reason for a finding. */
export const LineEvidence = Type.Object(
  {
    label: Type.String({ description: 'e.g. "BPFO", "2×BPFO", "BPFI−1×"' }),
    role: Type.Union([
      Type.Literal('fundamental'),
      Type.Literal('harmonic'),
      Type.Literal('sideband'),
      Type.Literal('modulation'),
    ]),
    expectedHz: Type.Number(),
    hz: Type.Number({ description: 'where the strongest bin in the search range sits' }),
    snr: Type.Number({ description: 'line amplitude over the median of its neighbourhood' }),
    found: Type.Boolean(),
  },
  { additionalProperties: false },
);
export type LineEvidence = Static<typeof LineEvidence>;

export const FindingEvidence = Type.Object(
  {
    spectrum: Type.Union([Type.Literal('envelope'), Type.Literal('velocity'), Type.Literal('time')]),
    method: Type.String(),
    band: Type.Optional(Type.Object({ lowHz: Type.Number(), highHz: Type.Number() })),
    peakAmplitude: Type.Number(),
    noiseFloor: Type.Number(),
    snr: Type.Number(),
    unit: Type.String(),
    lines: Type.Array(LineEvidence),
    reasoning: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type FindingEvidence = Static<typeof FindingEvidence>;

export const Finding = Type.Object(
  {
    fault: Fault,
    confidence: Type.Number({ minimum: 0, maximum: 1 }),
    frequencyHz: Type.Number(),
    harmonics: Type.Integer({ minimum: 0, description: 'harmonics found beyond the fundamental' }),
    evidence: FindingEvidence,
  },
  { additionalProperties: false },
);
export type Finding = Static<typeof Finding>;

export const DIAGNOSIS_STATUSES = ['healthy', 'watch', 'alarm'] as const;
export type DiagnosisStatus = (typeof DIAGNOSIS_STATUSES)[number];
