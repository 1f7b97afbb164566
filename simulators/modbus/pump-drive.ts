/**
 * A pump's variable-speed drive as its Modbus registers show it, under a scenario, as a function of
 * simulated time. Pure: a scenario, a time and a random source in, the drive's state out; the Modbus
 * server only serves it.
 */
import type { ModbusTable, RegisterType } from '../../edge/sources/modbus/modbus-config.js';

export const DRIVE_SCENARIOS = ['normal', 'bearing-overheat'] as const;
export type DriveScenario = (typeof DRIVE_SCENARIOS)[number];

/** Simulated seconds for the overheat to develop fully. */
export const DEFAULT_DRIVE_RAMP_S = 120;

/** The alarm the drive itself raises (discrete input 0), and where a sensible rule would trip. */
export const OVERTEMPERATURE_C = 80;

export interface DriveState {
  motorCurrentA: number;
  speedRpm: number;
  bearingTemperatureC: number;
  runSeconds: number;
  dischargePressureBar: number;
  running: boolean;
  overtemperature: boolean;
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));
const smoothstep = (x: number): number => x * x * (3 - 2 * x);

/**
 * The drive at `simulatedS`. In `bearing-overheat` a drying bearing heats from 45 °C to 95 °C along a
 * smoothstep (past 80 °C at 75 % of the ramp) and the motor draws a little more current for the
 * friction. Draws exactly three numbers from `random` per call, so a seeded run replays.
 */
export function driveStateAt(
  scenario: DriveScenario,
  simulatedS: number,
  rampS: number,
  random: () => number,
): DriveState {
  const p = scenario === 'bearing-overheat' ? (rampS > 0 ? clamp01(simulatedS / rampS) : 1) : 0;
  const noise = (amplitude: number) => amplitude * (2 * random() - 1);
  const bearingTemperatureC = 45 + 50 * smoothstep(p) + noise(0.2);
  return {
    motorCurrentA: 12 + 1.5 * p + noise(0.1),
    speedRpm: Math.round(1480 + noise(3)),
    bearingTemperatureC,
    runSeconds: Math.floor(3_600_000 + simulatedS),
    dischargePressureBar: 4.2,
    running: true,
    overtemperature: bearingTemperatureC > OVERTEMPERATURE_C,
  };
}

/** Where each value sits in the drive's register tables, and how it is encoded. */
export interface DriveRegister {
  name: string;
  channel: string;
  table: ModbusTable;
  address: number;
  type: RegisterType;
  wordOrder?: 'big' | 'little';
  scale?: number;
  unit: string;
  value: (state: DriveState) => number;
}

/** The drive's register map, as a vendor's manual would list it (0-based protocol addresses). */
export const DRIVE_REGISTERS: readonly DriveRegister[] = [
  {
    name: 'motor current',
    channel: 'motor_current',
    table: 'holding',
    address: 0,
    type: 'int16',
    scale: 0.1,
    unit: 'A',
    value: (s) => s.motorCurrentA / 0.1,
  },
  {
    name: 'speed',
    channel: 'speed',
    table: 'holding',
    address: 1,
    type: 'uint16',
    unit: 'rpm',
    value: (s) => s.speedRpm,
  },
  {
    name: 'bearing temperature',
    channel: 'bearing_temperature',
    table: 'holding',
    address: 2,
    type: 'float32',
    wordOrder: 'big',
    unit: 'degC',
    value: (s) => s.bearingTemperatureC,
  },
  {
    name: 'run time',
    channel: 'run_time',
    table: 'holding',
    address: 4,
    type: 'uint32',
    wordOrder: 'little',
    unit: 's',
    value: (s) => s.runSeconds,
  },
  {
    name: 'discharge pressure',
    channel: 'discharge_pressure',
    table: 'input',
    address: 0,
    type: 'uint16',
    scale: 0.01,
    unit: 'bar',
    value: (s) => s.dischargePressureBar / 0.01,
  },
  {
    name: 'running',
    channel: 'running',
    table: 'coil',
    address: 0,
    type: 'boolean',
    unit: '1',
    value: (s) => (s.running ? 1 : 0),
  },
  {
    name: 'overtemperature alarm',
    channel: 'overtemperature',
    table: 'discrete',
    address: 0,
    type: 'boolean',
    unit: '1',
    value: (s) => (s.overtemperature ? 1 : 0),
  },
];

/** Every table holds this many addresses (0-99); reading beyond them is an illegal data address. */
export const DRIVE_TABLE_SIZE = 100;
