import { Command, InvalidArgumentError } from 'commander';
import { MODBUS_TABLES, type ModbusTable } from '../../edge/sources/modbus/modbus-config.js';
import { integerIn, nonNegativeNumber, oneOf, speedFactor } from '../../shared/cli-options.js';
import { stopOnSignals } from '../../shared/shutdown.js';
import type { ModbusSimulator } from './modbus-simulator.js';
import {
  DEFAULT_DRIVE_RAMP_S,
  DRIVE_REGISTERS,
  DRIVE_SCENARIOS,
  type DriveScenario,
  type DriveState,
} from './pump-drive.js';

interface ModbusFlags {
  port: number;
  host: string;
  scenario: DriveScenario;
  asset: string;
  ramp: number;
  speed: number;
  seed: number;
  exception: { table: ModbusTable; address: number }[];
  silentAfter?: number;
}

/** Repeatable `--exception holding:50`: reads touching that address get exception 2 (illegal data address). */
const exceptionAddress = (
  value: string,
  previous: { table: ModbusTable; address: number }[],
): { table: ModbusTable; address: number }[] => {
  const [table, address] = value.split(':');
  const n = Number(address);
  if (!MODBUS_TABLES.includes(table as ModbusTable) || !/^[0-9]+$/.test(address ?? '') || n > 65535)
    throw new InvalidArgumentError(
      `expected <table>:<address> with table one of ${MODBUS_TABLES.join(', ')} and address 0-65535, got '${value}'`,
    );
  return [...previous, { table: table as ModbusTable, address: n }];
};

const assetId = (value: string): string => {
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(value))
    throw new InvalidArgumentError(
      `expected letters, digits, '_', '.' and '-' (e.g. pump-1), got '${value}'`,
    );
  return value;
};

/** The edge config fragment that reads this simulator, to paste under the agent's config. */
export function modbusConfigFragment(
  simulator: Pick<ModbusSimulator, 'host' | 'port'>,
  asset: string,
): string[] {
  return [
    'modbus:',
    `  - id: ${asset}-drive`,
    `    host: ${simulator.host}`,
    `    port: ${simulator.port}`,
    '    unitId: 1',
    '    pollInterval: 1s',
    '    timeout: 500ms',
    '    registers:',
    ...DRIVE_REGISTERS.map((r) =>
      [
        `      - { assetId: ${asset}, channel: ${r.channel}, table: ${r.table}, address: ${r.address}, type: ${r.type}`,
        r.wordOrder ? `, wordOrder: ${r.wordOrder}` : '',
        r.scale !== undefined ? `, scale: ${r.scale}` : '',
        `, unit: ${r.unit} }`,
      ].join(''),
    ),
  ];
}

const statusLine = (simulatedS: number, progress: number, state: DriveState): string =>
  [
    `t=${simulatedS.toFixed(0)} s`,
    `progress ${(progress * 100).toFixed(0)} %`,
    `current ${state.motorCurrentA.toFixed(1)} A`,
    `speed ${state.speedRpm} rpm`,
    `bearing ${state.bearingTemperatureC.toFixed(1)} degC`,
    state.overtemperature ? 'OVERTEMPERATURE' : '',
  ]
    .filter(Boolean)
    .join('  ');

const SIMULATED_S_PER_STATUS_LINE = 10;

/** `plantwatch sim modbus`: a pump drive as a Modbus TCP server. */
export function modbusSimCommand(): Command {
  return new Command('modbus')
    .description(
      "serve a pump's drive over Modbus TCP: motor current, speed, bearing temperature, run time, " +
        'discharge pressure, a running coil and an overtemperature input, with a scenario that develops',
    )
    .option('--port <n>', 'TCP port (0 = a free port, printed)', integerIn(0, 65_535), 1502)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--scenario <name>', `scenario: ${DRIVE_SCENARIOS.join(', ')}`, oneOf(DRIVE_SCENARIOS), 'normal')
    .option('--asset <id>', 'asset id used in the printed config fragment', assetId, 'pump-1')
    .option(
      '--ramp <s>',
      'simulated seconds for the fault to develop fully',
      nonNegativeNumber,
      DEFAULT_DRIVE_RAMP_S,
    )
    .option('--speed <factor>', 'time-scale: 1 = real time, 10 or 10x = ten times faster', speedFactor, 1)
    .option('--seed <n>', 'random seed, for reproducible values', integerIn(0, 2 ** 31), 1)
    .option(
      '--exception <table:address>',
      'answer reads of this address with exception 2, illegal data address (repeatable), e.g. holding:50',
      exceptionAddress,
      [],
    )
    .option(
      '--silent-after <s>',
      'stop answering requests after this many real seconds (the connection stays open): a hung device',
      nonNegativeNumber,
    )
    .action(async (flags: ModbusFlags) => {
      const { startModbusSimulator } = await import('./modbus-simulator.js');
      let nextStatusS = Number.POSITIVE_INFINITY;
      const simulator = await startModbusSimulator({
        host: flags.host,
        port: flags.port,
        scenario: flags.scenario,
        rampS: flags.ramp,
        speed: flags.speed,
        seed: flags.seed,
        exceptions: flags.exception,
        onUpdate: ({ simulatedS, progress, state }) => {
          if (simulatedS < nextStatusS) return;
          nextStatusS =
            (Math.floor(simulatedS / SIMULATED_S_PER_STATUS_LINE) + 1) * SIMULATED_S_PER_STATUS_LINE;
          console.error(statusLine(simulatedS, progress, state));
        },
      });
      const lines = [
        `Modbus TCP pump-drive simulator: scenario ${flags.scenario} (ramp ${flags.ramp} s, speed ${flags.speed}x)`,
        `endpoint      ${simulator.endpoint} (any unit id)`,
        ...(flags.exception.length
          ? [
              `exceptions    ${flags.exception.map((e) => `${e.table}:${e.address}`).join(', ')} (illegal data address)`,
            ]
          : []),
        ...(flags.silentAfter !== undefined ? [`silent after  ${flags.silentAfter} s`] : []),
        'registers (0-based addresses)',
        ...DRIVE_REGISTERS.map(
          (r) =>
            `  ${r.table.padEnd(8)} ${String(r.address).padStart(2)}  ${r.type.padEnd(7)} ${(r.wordOrder ?? '').padEnd(6)} ${r.name}${r.scale ? ` (x${r.scale} ${r.unit})` : ` (${r.unit})`}`,
        ),
        'config fragment for the edge agent:',
        ...modbusConfigFragment(simulator, flags.asset),
      ];
      for (const line of lines) console.error(line);
      nextStatusS = 0;
      const silence =
        flags.silentAfter !== undefined
          ? setTimeout(() => {
              simulator.silent = true;
              console.error('no longer answering requests (--silent-after)');
            }, flags.silentAfter * 1000)
          : undefined;
      stopOnSignals(async () => {
        clearTimeout(silence);
        await simulator.stop();
      });
    });
}
