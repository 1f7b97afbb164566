import type { BatchRecord, BatchReport } from './batch-report.js';

/** Columns padded to their widest cell; numbers right-aligned where a column holds only numbers. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const numeric = widths.map((_, c) => rows.slice(1).every((r) => /^[0-9.]+$/.test(r[c]!)));
  return rows.map((r) =>
    r
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!)))
      .join('  ')
      .trimEnd(),
  );
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)} %`;

function topFinding(record: BatchRecord): string {
  if (!record.top) return '-';
  const { fault, confidence, frequencyHz } = record.top;
  return `${fault} ${confidence.toFixed(2)} at ${frequencyHz.toFixed(1)} Hz`;
}

const verdict = (record: BatchRecord) =>
  record.correct === null ? (record.status === 'error' ? '-' : 'unlabelled') : record.correct ? 'yes' : 'NO';

/** The report as text: per record, the confusion table, the scores, the false alarms and the errors. */
export function formatBatch(report: BatchReport): string[] {
  const { records, confusion, summary, falseAlarms } = report;
  const out = table([
    ['record', 'label', 'top finding', 'status', 'diagnosed', 'correct'],
    ...records.map((r) => [r.file, r.label ?? '-', topFinding(r), r.status, r.diagnosed ?? '-', verdict(r)]),
  ]);
  for (const r of records) if (r.error) out.push(`error: ${r.file}: ${r.error}`);

  out.push(
    '',
    `confusion (rows: expected from the label; columns: top finding with confidence ≥ ${summary.minConfidence}, none = no such finding)`,
  );
  if (confusion.expected.length === 0) out.push('  no labelled record was diagnosed');
  else {
    out.push(
      ...table([
        ['expected \\ diagnosed', ...confusion.diagnosed],
        ...confusion.expected.map((row) => [
          row,
          ...confusion.diagnosed.map((c) => String(confusion.counts[row]![c])),
        ]),
      ]).map((line) => `  ${line}`),
    );
  }

  out.push('', 'recall per class:');
  for (const [fault, score] of Object.entries(summary.perClass)) {
    out.push(`  ${fault.padEnd(16)} ${score.correct}/${score.records}  ${percent(score.recall)}`);
  }
  out.push(
    summary.accuracy === null
      ? 'accuracy: no labelled record was diagnosed'
      : `accuracy: ${summary.correct}/${summary.scored} = ${percent(summary.accuracy)}` +
          `, balanced (mean recall) ${percent(summary.balancedAccuracy!)}`,
    `records: ${summary.records}, scored ${summary.scored}, unlabelled ${summary.unlabelled}, errors ${summary.errors}`,
    '',
    `false alarms on healthy records: ${summary.falseAlarms} of ${summary.healthyRecords}`,
  );
  for (const alarm of falseAlarms) {
    const findings = alarm.findings.map((f) => `${f.fault} ${f.confidence.toFixed(2)}`).join(', ');
    out.push(`  ${alarm.file} (${alarm.label}): ${alarm.status}, ${findings || `ISO zone ${alarm.isoZone}`}`);
  }
  return out;
}
