/**
 * Synthetic records that pose the attribution questions of the envelope diagnosis: which bearing
 * family a line belongs to, and whether all families share one slip. Shared by
 * `edge/signal/bearing-diagnosis.test.ts` (which asserts on them) and `test/tools/diagnosis-table.ts`
 * (which prints what the diagnosis makes of them).
 */
import { catalogBearing, type DefectMultiples, defectMultiples } from '../../shared/bearings.js';
import type { Fault } from '../../shared/schema/index.js';
import { bearingSignal } from './bearing-fault-signals.js';

export const SKF_6205 = defectMultiples(catalogBearing('skf-6205').geometry);
export const ZA_2115 = defectMultiples(catalogBearing('rexnord-za-2115').geometry);

export interface SyntheticCase {
  name: string;
  description: string;
  sampleRateHz: number;
  rpm: number;
  bearing: DefectMultiples;
  /** The fault the record carries (null: none). */
  fault: Fault | null;
  /** Faults that must not be reported: the ones the record's lines only seem to show. */
  notFaults: Fault[];
  /** Faults that must be reported besides the top one. */
  alsoFaults?: Fault[];
  samples: () => Float64Array;
}

const CWRU_RPM = 1773;
const CWRU_SHAFT_HZ = CWRU_RPM / 60;
const IMS_SHAFT_HZ = 2000 / 60;

export const SYNTHETIC_CASES: readonly SyntheticCase[] = [
  {
    name: 'outer race, BPFO+1× on 2×BSF',
    description:
      'SKF 6205 outer-race impacts 0.2 % above BPFO, load modulated at 1× and 2× (unbalance): BPFO+1× lies 2.6 % below 2×BSF',
    sampleRateHz: 12_000,
    rpm: CWRU_RPM,
    bearing: SKF_6205,
    fault: 'outer_race',
    notFaults: ['rolling_element', 'inner_race', 'cage'],
    samples: () =>
      bearingSignal({
        sampleRateHz: 12_000,
        seconds: 2,
        noise: 0.3,
        seed: 1,
        impacts: [
          {
            rateHz: SKF_6205.bpfo * CWRU_SHAFT_HZ * 1.002,
            amplitude: 1,
            modulations: [{ hz: CWRU_SHAFT_HZ, depths: [0.6, 0.3] }],
          },
        ],
      }),
  },
  {
    name: 'new bearing, weak cage line',
    description:
      'ZA-2115 without a defect: noise modulated at the cage rate (load zone turning with the cage), FTF and its harmonics just above the floor',
    sampleRateHz: 20_000,
    rpm: 2000,
    bearing: ZA_2115,
    fault: null,
    notFaults: ['cage', 'rolling_element', 'outer_race', 'inner_race'],
    samples: () =>
      bearingSignal({
        sampleRateHz: 20_000,
        seconds: 1.024,
        noise: 0.1,
        seed: 2,
        noiseModulations: [{ hz: ZA_2115.ftf * IMS_SHAFT_HZ * 0.99, depths: [0.1, 0.08, 0.06] }],
      }),
  },
  {
    name: 'roller, FTF-modulated',
    description:
      'ZA-2115 roller defect at 2×BSF with 1.5 % slip, loaded once per cage turn (FTF comb of sidebands): 2×BSF−3·FTF lies near BPFO',
    sampleRateHz: 20_000,
    rpm: 2000,
    bearing: ZA_2115,
    fault: 'rolling_element',
    notFaults: ['outer_race', 'inner_race', 'cage'],
    samples: () =>
      bearingSignal({
        sampleRateHz: 20_000,
        seconds: 1.024,
        noise: 0.2,
        seed: 3,
        impacts: [
          {
            rateHz: 2 * ZA_2115.bsf * IMS_SHAFT_HZ * 0.985,
            amplitude: 1,
            modulations: [{ hz: ZA_2115.ftf * IMS_SHAFT_HZ * 0.985, depths: [0.7, 0.4, 0.2] }],
          },
        ],
      }),
  },
  {
    name: 'outer race, cage modulating it',
    description:
      'ZA-2115 outer-race impacts 2 % below BPFO whose strength varies once per cage turn (a damaged cage): BPFO±FTF sidebands and the FTF line',
    sampleRateHz: 20_000,
    rpm: 2000,
    bearing: ZA_2115,
    fault: 'outer_race',
    notFaults: ['rolling_element', 'inner_race'],
    alsoFaults: ['cage'],
    samples: () =>
      bearingSignal({
        sampleRateHz: 20_000,
        seconds: 1.024,
        noise: 0.2,
        seed: 5,
        impacts: [
          {
            rateHz: ZA_2115.bpfo * IMS_SHAFT_HZ * 0.98,
            amplitude: 1,
            modulations: [{ hz: ZA_2115.ftf * IMS_SHAFT_HZ * 0.98, depths: [0.6, 0.3] }],
          },
        ],
      }),
  },
  {
    name: 'inner race, 1.5 % slip, foreign line',
    description:
      'SKF 6205 inner-race impacts 1.5 % below BPFI (1× load zone), and another source modulating the noise 3.2 % below 2×BSF',
    sampleRateHz: 12_000,
    rpm: CWRU_RPM,
    bearing: SKF_6205,
    fault: 'inner_race',
    notFaults: ['rolling_element', 'outer_race', 'cage'],
    samples: () =>
      bearingSignal({
        sampleRateHz: 12_000,
        seconds: 2,
        noise: 0.3,
        seed: 4,
        impacts: [
          {
            rateHz: SKF_6205.bpfi * CWRU_SHAFT_HZ * 0.985,
            amplitude: 1,
            modulations: [{ hz: CWRU_SHAFT_HZ, depths: [0.45] }],
          },
        ],
        noiseModulations: [{ hz: 2 * SKF_6205.bsf * CWRU_SHAFT_HZ * 0.968, depths: [0.3, 0.2] }],
      }),
  },
];
