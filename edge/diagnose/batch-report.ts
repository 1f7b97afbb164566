/**
 * Scores a batch of labelled diagnoses: per-record verdicts, the confusion table (expected label ×
 * diagnosed top fault), per-class recall, overall accuracy and the false alarms on healthy records.
 * Pure: outcomes in, the report out; the field names are the `--json` contract (README).
 */
import type { DiagnosisStatus, Finding } from '../../shared/schema/index.js';
import { type ExpectedFault, FAULTS } from '../../shared/schema/fault.js';
import type { IsoZone } from '../signal/iso-20816.js';

/** What diagnosing one record gave: its diagnosis, or why it could not be read or analysed. */
export interface BatchOutcome {
  name: string;
  label?: string;
  expected?: ExpectedFault;
  bearing?: string;
  diagnosis?: {
    status: DiagnosisStatus;
    findings: Finding[];
    features: { shaftHz: number; isoZone: IsoZone };
  };
  error?: string;
}

export interface FindingSummary {
  fault: Finding['fault'];
  confidence: number;
  frequencyHz: number;
}

/** One row of the report. Absent values are null, never missing, so tools see one shape. */
export interface BatchRecord {
  file: string;
  label: string | null;
  expected: ExpectedFault | null;
  status: DiagnosisStatus | 'error';
  /** The strongest finding, whatever its confidence. */
  top: FindingSummary | null;
  /** The top finding's fault when its confidence reaches the threshold, else `none`; null on error. */
  diagnosed: ExpectedFault | null;
  /** null for an unlabelled record or one that could not be diagnosed. */
  correct: boolean | null;
  findings: FindingSummary[];
  shaftHz: number | null;
  isoZone: IsoZone | null;
  bearing: string | null;
  error: string | null;
}

export interface Confusion {
  /** Row order: the expected classes present, `none` first, then in the fault vocabulary's order. */
  expected: ExpectedFault[];
  /** Column order: every class expected or diagnosed, same order. */
  diagnosed: ExpectedFault[];
  /** counts[expected][diagnosed], zeros included. */
  counts: Record<string, Record<string, number>>;
}

export interface ClassScore {
  records: number;
  correct: number;
  recall: number;
}

export interface BatchSummary {
  records: number;
  /** Labelled records that were diagnosed: the ones the figures below count. */
  scored: number;
  unlabelled: number;
  errors: number;
  correct: number;
  /** correct / scored; null when nothing was scored. */
  accuracy: number | null;
  /** Mean of the per-class recalls: not flattered by a large class. */
  balancedAccuracy: number | null;
  perClass: Record<string, ClassScore>;
  healthyRecords: number;
  falseAlarms: number;
  minConfidence: number;
}

export interface FalseAlarm {
  file: string;
  label: string;
  status: DiagnosisStatus;
  isoZone: IsoZone;
  findings: FindingSummary[];
}

export interface BatchReport {
  records: BatchRecord[];
  confusion: Confusion;
  summary: BatchSummary;
  falseAlarms: FalseAlarm[];
}

const CLASS_ORDER: readonly ExpectedFault[] = ['none', ...FAULTS];
const round = (value: number) => Number(value.toFixed(4));

const summarise = (finding: Finding): FindingSummary => ({
  fault: finding.fault,
  confidence: finding.confidence,
  frequencyHz: round(finding.frequencyHz),
});

export function batchRecord(outcome: BatchOutcome, minConfidence: number): BatchRecord {
  const base = {
    file: outcome.name,
    label: outcome.label ?? null,
    expected: outcome.expected ?? null,
    bearing: outcome.bearing ?? null,
  };
  const { diagnosis } = outcome;
  if (!diagnosis) {
    return {
      ...base,
      status: 'error',
      top: null,
      diagnosed: null,
      correct: null,
      findings: [],
      shaftHz: null,
      isoZone: null,
      error: outcome.error ?? 'not diagnosed',
    };
  }
  const findings = [...diagnosis.findings].sort((a, b) => b.confidence - a.confidence).map(summarise);
  const top = findings[0] ?? null;
  const diagnosed: ExpectedFault = top && top.confidence >= minConfidence ? top.fault : 'none';
  return {
    ...base,
    status: diagnosis.status,
    top,
    diagnosed,
    correct: outcome.expected === undefined ? null : diagnosed === outcome.expected,
    findings,
    shaftHz: diagnosis.features.shaftHz,
    isoZone: diagnosis.features.isoZone,
    error: null,
  };
}

export function batchReport(outcomes: BatchOutcome[], minConfidence: number): BatchReport {
  const records = outcomes.map((o) => batchRecord(o, minConfidence));
  const scored = records.filter(
    (r): r is BatchRecord & { expected: ExpectedFault; diagnosed: ExpectedFault } =>
      r.expected !== null && r.diagnosed !== null,
  );
  const present = new Set<ExpectedFault>(scored.map((r) => r.expected));
  const rows = CLASS_ORDER.filter((c) => present.has(c));
  for (const r of scored) present.add(r.diagnosed);
  const columns = CLASS_ORDER.filter((c) => present.has(c));
  const counts: Record<string, Record<string, number>> = {};
  for (const row of rows) counts[row] = Object.fromEntries(columns.map((c) => [c, 0]));
  for (const r of scored) counts[r.expected]![r.diagnosed]! += 1;

  const perClass: Record<string, ClassScore> = {};
  for (const row of rows) {
    const inClass = scored.filter((r) => r.expected === row);
    const correct = inClass.filter((r) => r.correct).length;
    perClass[row] = { records: inClass.length, correct, recall: round(correct / inClass.length) };
  }
  const correct = scored.filter((r) => r.correct).length;
  const recalls = Object.values(perClass).map((c) => c.recall);
  const falseAlarms: FalseAlarm[] = scored
    .filter((r) => r.expected === 'none' && r.status !== 'healthy')
    .map((r) => ({
      file: r.file,
      label: r.label!,
      status: r.status as DiagnosisStatus,
      isoZone: r.isoZone!,
      findings: r.findings,
    }));
  return {
    records,
    confusion: { expected: rows, diagnosed: columns, counts },
    summary: {
      records: records.length,
      scored: scored.length,
      unlabelled: records.filter((r) => r.expected === null && r.status !== 'error').length,
      errors: records.filter((r) => r.status === 'error').length,
      correct,
      accuracy: scored.length > 0 ? round(correct / scored.length) : null,
      balancedAccuracy:
        recalls.length > 0 ? round(recalls.reduce((sum, r) => sum + r, 0) / recalls.length) : null,
      perClass,
      healthyRecords: scored.filter((r) => r.expected === 'none').length,
      falseAlarms: falseAlarms.length,
      minConfidence,
    },
    falseAlarms,
  };
}
