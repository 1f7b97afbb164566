/**
 * A scenario's measurements in simulated time, pure and seeded: what a data collector taking one
 * waveform per interval would record from start to failure.
 */
import type { ReadingPayload, WaveformPayload } from '../../shared/schema/index.js';
import { bearingTemperatureC, MachineModel } from '../vibration/machine-model.js';
import { type Scenario, severityAt } from './scenario-file.js';

export interface ScenarioMeasurement {
  index: number;
  /** Simulated time since the scenario's start. */
  simulatedMs: number;
  severity: number;
  waveform: WaveformPayload;
  temperature: ReadingPayload;
}

/** Channel of the bearing temperature reading: `bearing_temperature` in rule conditions. */
export const TEMPERATURE_CHANNEL = 'bearing-temperature';

export const waveformCount = (scenario: Scenario): number =>
  Math.floor(scenario.failureMs / scenario.intervalMs) + 1;

/** Waveforms at 0, interval, 2 × interval … up to failure, time-stamped from `startMs` on the data clock. */
export function* scenarioMeasurements(scenario: Scenario, startMs: number): Generator<ScenarioMeasurement> {
  const model = new MachineModel({
    rpm: scenario.rpm,
    sampleRateHz: scenario.sampleRateHz,
    fault: scenario.fault,
    bearing: scenario.bearing,
    // A bearing housing mode in the velocity band and the casing mode the envelope demodulates.
    resonances: [
      { hz: Math.min(3000, scenario.sampleRateHz / 4), damping: 0.05, gain: 1 },
      { hz: Math.min(4200, scenario.sampleRateHz * 0.35), damping: 0.04, gain: 0.5 },
      { hz: 650, damping: 0.08, gain: 0.1 },
    ],
    slipJitter: 0.015,
    damageSpread: scenario.damageSpread,
    seed: scenario.seed,
  });
  const count = waveformCount(scenario);
  for (let index = 0; index < count; index++) {
    const simulatedMs = index * scenario.intervalMs;
    const severity = severityAt(scenario, simulatedMs);
    const samples = model.nextFrame(scenario.samplesPerWaveform, severity);
    const ts = Math.round(startMs + simulatedMs);
    yield {
      index,
      simulatedMs,
      severity,
      waveform: {
        ts,
        sampleRateHz: scenario.sampleRateHz,
        unit: 'g',
        rpm: scenario.rpm,
        // Five significant digits keep the JSON a third of full precision, far below sensor noise.
        samples: Array.from(samples, (v) => Number(v.toPrecision(5))),
      },
      temperature: {
        ts,
        value: Number(bearingTemperatureC(scenario.fault, severity).toFixed(2)),
        unit: 'degC',
      },
    };
  }
}
