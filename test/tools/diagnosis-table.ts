/**
 * Prints what the diagnosis makes of the development recordings and of the synthetic attribution
 * cases: per record the expected fault, the top finding with its confidence, and every bearing
 * finding. Run after `npm run build`: `node dist/test/tools/diagnosis-table.js [--json]`.
 */
import { catalogBearing, type DefectMultiples, defectMultiples } from '../../shared/bearings.js';
import { diagnoseRecord } from '../../edge/signal/diagnosis.js';
import { CWRU_RECORDS, IMS_SNAPSHOT, readF32 } from '../helpers/bearing-data.js';
import { SYNTHETIC_CASES } from '../../simulators/vibration/bearing-fault-cases.js';

interface Row {
  record: string;
  expected: string;
  top: string;
  findings: string;
}

function row(
  record: string,
  expected: string,
  samples: Float32Array | Float64Array,
  options: { sampleRateHz: number; rpm: number; bearing: DefectMultiples },
): Row {
  const diagnosis = diagnoseRecord(samples, { ...options, unit: 'g' });
  const top = diagnosis.findings[0];
  return {
    record,
    expected,
    top: top ? `${top.fault} ${top.confidence}` : '—',
    findings: diagnosis.findings.map((f) => `${f.fault} ${f.confidence} @${f.frequencyHz}`).join('; '),
  };
}

export function diagnosisTable(): Row[] {
  const rows: Row[] = [];
  const skf6205 = defectMultiples(catalogBearing('skf-6205').geometry);
  for (const r of CWRU_RECORDS)
    rows.push(
      row(r.file, r.fault ?? 'none', readF32(r.file), { sampleRateHz: 12_000, rpm: r.rpm, bearing: skf6205 }),
    );
  const za2115 = defectMultiples(catalogBearing('rexnord-za-2115').geometry);
  const ims = [
    { file: 'ims-dev/test1_b1_early.f32', snapshots: 23, expected: () => 'none' },
    {
      file: 'ims-dev/test3_b3.f32',
      snapshots: 15,
      expected: (i: number) => (i >= 11 ? 'outer_race' : '(early/mid)'),
    },
  ];
  for (const series of ims) {
    const samples = readF32(series.file);
    for (let i = 0; i < series.snapshots; i++) {
      const snapshot = samples.subarray(i * IMS_SNAPSHOT, (i + 1) * IMS_SNAPSHOT);
      rows.push(
        row(`${series.file}#${i}`, series.expected(i), snapshot, {
          sampleRateHz: 20_000,
          rpm: 2000,
          bearing: za2115,
        }),
      );
    }
  }
  for (const c of SYNTHETIC_CASES) rows.push(row(`synthetic: ${c.name}`, c.fault ?? 'none', c.samples(), c));
  return rows;
}

if (process.argv[1]?.endsWith('diagnosis-table.js')) {
  const rows = diagnosisTable();
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
  else {
    console.log('| record | expected | top finding | all findings |');
    console.log('| --- | --- | --- | --- |');
    for (const r of rows) console.log(`| ${r.record} | ${r.expected} | ${r.top} | ${r.findings} |`);
  }
}
