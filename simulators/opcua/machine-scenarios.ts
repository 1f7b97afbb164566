/**
 * The process values of a CNC machine under a scenario, as functions of simulated time. Pure: a scenario,
 * a time and a random source in, the machine's state out; the OPC-UA server only publishes it.
 */
import { seededRandom } from '../seeded-random.js';

export const SCENARIOS = ['normal', 'coolant-degradation', 'bearing-defect', 'sensor-dropout'] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Simulated seconds for a scenario's fault to develop fully. */
export const DEFAULT_RAMP_S = 300;

export const NOMINAL_SPINDLE_SPEED_RPM = 12_000;

/** The machine's scalar OPC-UA tags, by browse name. */
export const SCALAR_NAMES = ['SpindleSpeed', 'SpindleTemperature', 'CoolantFlow', 'MotorCurrent'] as const;
export type ScalarName = (typeof SCALAR_NAMES)[number];

export type DropoutChannel = 'spindleTemperature' | 'coolantFlow';

export interface MachineState {
  spindleSpeedRpm: number;
  spindleTemperatureC: number;
  coolantFlowLpm: number;
  motorCurrentA: number;
  /** outer-race defect severity 0..1 for the vibration waveform */
  bearingDefectSeverity: number;
  /** channels whose sensor is failed right now (value frozen, quality bad) */
  droppedOut: readonly DropoutChannel[];
}

const NORMAL = { temperatureC: 40, coolantFlowLpm: 20, motorCurrentA: 12 };

/** The sensor-dropout scenario repeats every cycle: failures are intermittent, as loose connectors are. */
const DROPOUT_CYCLE_S = 30;
const DROPOUT_WINDOWS: Record<DropoutChannel, { fromS: number; toS: number }> = {
  spindleTemperature: { fromS: 10, toS: 20 },
  coolantFlow: { fromS: 15, toS: 20 },
};

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
const smoothstep = (x: number): number => x * x * (3 - 2 * x);

/** How far the scenario's fault has developed; a ramp of 0 means fully developed from the start. */
export function scenarioProgress(simulatedS: number, rampS: number): number {
  return rampS > 0 ? clamp01(simulatedS / rampS) : 1;
}

/** The sensors that are failed at `simulatedS` in the sensor-dropout scenario. */
export function droppedOutAt(simulatedS: number): DropoutChannel[] {
  const inCycleS = ((simulatedS % DROPOUT_CYCLE_S) + DROPOUT_CYCLE_S) % DROPOUT_CYCLE_S;
  return (Object.keys(DROPOUT_WINDOWS) as DropoutChannel[]).filter((channel) => {
    const window = DROPOUT_WINDOWS[channel];
    return inCycleS >= window.fromS && inCycleS < window.toS;
  });
}

/**
 * The machine's true state at `simulatedS`. Sensor failures are only flagged here: the values are what the
 * machine does, not what a failed sensor reports (see {@link MachineRun} for the frozen readings).
 * Draws exactly four numbers from `random` per call, so a seeded run replays sample for sample.
 */
export function machineStateAt(
  scenario: Scenario,
  simulatedS: number,
  rampS: number,
  random: () => number,
): MachineState {
  const p = scenarioProgress(simulatedS, rampS);
  const noise = (amplitude: number) => amplitude * (2 * random() - 1);
  const speedNoise = noise(NOMINAL_SPINDLE_SPEED_RPM * 0.002);
  const temperatureNoise = noise(0.2);
  const flowNoise = noise(0.2);
  const currentNoise = noise(0.1);

  let temperatureC = NORMAL.temperatureC;
  let coolantFlowLpm = NORMAL.coolantFlowLpm;
  let motorCurrentA = NORMAL.motorCurrentA;
  let bearingDefectSeverity = 0;
  let droppedOut: DropoutChannel[] = [];

  switch (scenario) {
    case 'normal':
      break;
    case 'coolant-degradation':
      coolantFlowLpm = 20 - 14 * p;
      // The spindle's thermal mass makes the temperature lag the lost flow, then catch up: with the
      // smoothstep it passes 65 °C at p ≈ 0.6, when the flow is already below 12 L/min (p > 0.57).
      temperatureC = 40 + 40 * smoothstep(p);
      // A hotter spindle runs with thinner lubricant films and more friction: the drive works harder.
      motorCurrentA = 12 + 2 * p;
      break;
    case 'bearing-defect':
      bearingDefectSeverity = p;
      temperatureC = 40 + 15 * p;
      break;
    case 'sensor-dropout':
      droppedOut = droppedOutAt(simulatedS);
      break;
  }

  return {
    spindleSpeedRpm: NOMINAL_SPINDLE_SPEED_RPM + speedNoise,
    spindleTemperatureC: temperatureC + temperatureNoise,
    coolantFlowLpm: coolantFlowLpm + flowNoise,
    motorCurrentA: motorCurrentA + currentNoise,
    bearingDefectSeverity,
    droppedOut,
  };
}

/**
 * One seeded run of a scenario, as its sensors report it: a failed sensor keeps reporting its last good
 * value, which is what real transmitters (and the PLC tags behind them) do when a loop breaks.
 */
export class MachineRun {
  private readonly random: () => number;
  private lastGood: Pick<MachineState, 'spindleTemperatureC' | 'coolantFlowLpm'> | undefined;

  constructor(
    readonly scenario: Scenario,
    readonly rampS: number = DEFAULT_RAMP_S,
    seed = 1,
  ) {
    this.random = seededRandom(seed);
  }

  /** The reported state at `simulatedS`; call with increasing times. */
  stateAt(simulatedS: number): MachineState {
    const truth = machineStateAt(this.scenario, simulatedS, this.rampS, this.random);
    const dropped = (channel: DropoutChannel) => truth.droppedOut.includes(channel);
    const reported: MachineState = {
      ...truth,
      spindleTemperatureC:
        dropped('spindleTemperature') && this.lastGood
          ? this.lastGood.spindleTemperatureC
          : truth.spindleTemperatureC,
      coolantFlowLpm:
        dropped('coolantFlow') && this.lastGood ? this.lastGood.coolantFlowLpm : truth.coolantFlowLpm,
    };
    this.lastGood = {
      spindleTemperatureC: reported.spindleTemperatureC,
      coolantFlowLpm: reported.coolantFlowLpm,
    };
    return reported;
  }
}
