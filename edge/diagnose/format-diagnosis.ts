import { sketchSpectrum } from './spectrum-sketch.js';
import type { RecordDiagnosis, SpeedUsed } from '../signal/diagnosis.js';

const STATUS_WORDS = {
  healthy: 'healthy — no fault found',
  watch: 'WATCH — a developing fault or a raised level; trend it',
  alarm: 'ALARM — plan maintenance',
} as const;

/** The human-readable report: verdict, findings with their reasons, the numbers, and the envelope plot. */
export function formatDiagnosis(file: string, diagnosis: RecordDiagnosis): string[] {
  const { status, findings, features } = diagnosis;
  const out = [
    `${file}: ${STATUS_WORDS[status]}`,
    '',
    `  ${features.samples} samples at ${features.sampleRateHz} Hz (${(features.samples / features.sampleRateHz).toFixed(2)} s), ` +
      `${features.windows} windows of ${features.windowSize} (${features.binHz} Hz/bin), shaft ${features.shaftHz.toFixed(2)} Hz`,
    `  ${speedLine(features.speed)}`,
    `  velocity ${features.velocityRmsMmS} mm/s RMS (10–1000 Hz): ISO zone ${features.isoZone} for ${features.machineClass}`,
    `  1× ${features.runningSpeedMmS['1x']}  2× ${features.runningSpeedMmS['2x']}  3× ${features.runningSpeedMmS['3x']} mm/s; ` +
      `RMS ${features.rms}, peak ${features.peak}, crest factor ${features.crestFactor}, kurtosis ${features.kurtosis}`,
    '',
  ];
  if (findings.length === 0) out.push('  findings: none');
  for (const finding of findings) {
    out.push(
      `  ${finding.fault.padEnd(16)} confidence ${finding.confidence.toFixed(2)} at ${finding.frequencyHz.toFixed(1)} Hz, ${finding.harmonics} harmonic(s)`,
    );
    for (const step of finding.evidence.reasoning) out.push(`      - ${step}`);
  }
  const envelope = diagnosis.snapshots.envelope;
  if (envelope && features.envelope) {
    const lines = Object.entries(features.envelope.lines);
    out.push(
      '',
      `  envelope spectrum (band ${features.envelope.band.lowHz.toFixed(0)}–${features.envelope.band.highHz.toFixed(0)} Hz, pre-whitened); ` +
        lines.map(([label, line]) => `${label} ${line.snr}×`).join(', '),
      ...sketchSpectrum(envelope, {
        maxHz: envelope.binHz * (envelope.amplitudes.length - 1),
        width: 72,
        height: 8,
        marks: lines.map(([label, line]) => ({ hz: line.expectedHz, label })),
      }).map((row) => `  ${row}`),
    );
  }
  return out;
}

/** Which speed the defect frequencies assume, and why: given, estimated from the spectrum, or a range's centre. */
function speedLine(speed: SpeedUsed): string {
  const searched = speed.searchedRange
    ? `, searched ${speed.searchedRange.min}–${speed.searchedRange.max} rpm`
    : '';
  const given = speed.nominalRpm !== undefined ? `, given ${speed.nominalRpm} rpm` : '';
  if (speed.source === 'estimated')
    return `speed ${speed.usedRpm} rpm estimated from 1× and ${speed.harmonics - 1} harmonic(s)${given}${searched}`;
  if (speed.source === 'envelope')
    return `speed ${speed.usedRpm} rpm: no clear shaft harmonics; the speed in the range at which a defect's envelope lines stand out most${searched}`;
  if (speed.source === 'range-centre')
    return `speed ${speed.usedRpm} rpm: centre of the range, no clear shaft harmonics${searched}`;
  if (speed.harmonics > 0)
    return `speed ${speed.usedRpm} rpm as given, confirmed by 1× and ${speed.harmonics - 1} harmonic(s)${searched}`;
  return `speed ${speed.usedRpm} rpm as given${speed.searchedRange ? ' (no clear shaft harmonics)' : ''}${searched}`;
}
