import { resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { integerIn, nonNegativeNumber, oneOf, speedFactor } from '../../shared/cli-options.js';
import { stopOnSignals } from '../../shared/shutdown.js';
import {
  DEFAULT_RAMP_S,
  type MachineState,
  SCALAR_NAMES,
  type ScalarName,
  SCENARIOS,
  type Scenario,
} from './machine-scenarios.js';
import type { OpcuaSimulator, SecurityModeName } from './opcua-simulator.js';

interface OpcuaFlags {
  port: number;
  host: string;
  scenario: Scenario;
  asset: string;
  ramp: number;
  speed: number;
  pki: string;
  secureOnly?: boolean;
  strictTrust?: boolean;
  user: { username: string; password: string }[];
  seed: number;
  hold: Partial<Record<ScalarName, number>>;
}

/** Asset ids become string node ids (`ns=1;s=<asset>.SpindleSpeed`): keep them unambiguous to parse. */
const assetId = (value: string): string => {
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(value)) {
    throw new InvalidArgumentError(`expected letters, digits, '-' and '_' (e.g. cnc-1), got '${value}'`);
  }
  return value;
};

/** Repeatable `--user name:password`; the value is not echoed back, as it holds a password. */
const userCredential = (
  value: string,
  previous: { username: string; password: string }[],
): { username: string; password: string }[] => {
  const colon = value.indexOf(':');
  if (colon <= 0 || colon === value.length - 1) {
    throw new InvalidArgumentError('expected name:password, with neither part empty');
  }
  return [...previous, { username: value.slice(0, colon), password: value.slice(colon + 1) }];
};

/** Repeatable `--hold SpindleSpeed=12000`: a tag held perfectly steady, as a PLC tag holds still. */
const heldTag = (
  value: string,
  previous: Partial<Record<ScalarName, number>>,
): Partial<Record<ScalarName, number>> => {
  const [name, number] = value.split('=');
  const held = Number(number);
  if (!SCALAR_NAMES.includes(name as ScalarName) || number === undefined || !Number.isFinite(held)) {
    throw new InvalidArgumentError(
      `expected <tag>=<number> with tag one of ${SCALAR_NAMES.join(', ')}, got '${value}'`,
    );
  }
  return { ...previous, [name as ScalarName]: held };
};

const SIMULATED_S_PER_STATUS_LINE = 10;

const statusLine = (simulatedS: number, progress: number, state: MachineState): string => {
  const failed = state.droppedOut.map((sensor) => `${sensor} sensor failed`);
  return [
    `t=${simulatedS.toFixed(0)} s`,
    `progress ${(progress * 100).toFixed(0)} %`,
    `speed ${state.spindleSpeedRpm.toFixed(0)} rpm`,
    `temperature ${state.spindleTemperatureC.toFixed(1)} degC`,
    `coolant ${state.coolantFlowLpm.toFixed(1)} L/min`,
    `current ${state.motorCurrentA.toFixed(2)} A`,
    `bearing defect ${(state.bearingDefectSeverity * 100).toFixed(0)} %`,
    ...failed,
  ].join('  ');
};

function describeOpcuaSimulator(
  simulator: OpcuaSimulator,
  flags: OpcuaFlags,
  securityModes: SecurityModeName[],
  pkiDir: string,
): string[] {
  const width = Math.max(...simulator.nodes.map((n) => n.nodeId.length));
  const pathWidth = Math.max(...simulator.nodes.map((n) => n.browsePath.length));
  return [
    `OPC-UA machine simulator: ${flags.asset}, scenario ${flags.scenario} (ramp ${flags.ramp} s, speed ${flags.speed}x)`,
    `endpoint      ${simulator.endpointUrl}`,
    `security      ${securityModes.join(', ')}` +
      ' (secure modes with Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss)',
    `login         ${
      flags.user.length > 0
        ? `users ${flags.user.map((u) => u.username).join(', ')}; anonymous refused`
        : 'anonymous'
    }`,
    `server cert   ${simulator.certificateFile} (kept across restarts; give it to clients to trust)`,
    flags.strictTrust
      ? `client certs  unknown ones are refused and land in ${resolve(pkiDir, 'rejected')}; ` +
        `to trust one, move it to ${resolve(pkiDir, 'trusted', 'certs')} (picked up without a restart)`
      : 'client certs  trusted on first use (development); --strict-trust to refuse unknown ones',
    `namespace     ns=1 ${simulator.namespaceUri}`,
    'nodes',
    ...simulator.nodes.map(
      (n) => `  ${n.nodeId.padEnd(width)}  ${n.browsePath.padEnd(pathWidth)}  ${n.unit}`,
    ),
  ];
}

/** `plantwatch sim opcua`: the OPC-UA machine simulator as a command. */
export function opcuaSimCommand(): Command {
  return new Command('opcua')
    .description(
      'serve a CNC machine over OPC-UA: spindle speed and temperature, coolant flow, motor current and a ' +
        'vibration waveform, with a fault scenario that develops',
    )
    .option('--port <n>', 'TCP port', integerIn(1, 65_535), 4840)
    .option(
      '--host <address>',
      'address to listen on, also named in endpoint URLs and the certificate',
      '127.0.0.1',
    )
    .option('--scenario <name>', `scenario: ${SCENARIOS.join(', ')}`, oneOf(SCENARIOS), 'normal')
    .option('--asset <id>', 'asset id: names the machine object and its node ids', assetId, 'cnc-1')
    .option(
      '--ramp <s>',
      'simulated seconds for the fault to develop fully',
      nonNegativeNumber,
      DEFAULT_RAMP_S,
    )
    .option('--speed <factor>', 'time-scale: 1 = real time, 10 or 10x = ten times faster', speedFactor, 1)
    .option(
      '--pki <dir>',
      'server PKI: own certificate, trusted and rejected clients',
      '.plantwatch/opcua-sim/pki',
    )
    .option('--secure-only', 'offer only Sign and SignAndEncrypt endpoints (no security mode None)')
    .option('--strict-trust', 'refuse client certificates that are not in <pki>/trusted/certs')
    .option(
      '--user <name:password>',
      'accept this user, refuse anonymous login (repeatable)',
      userCredential,
      [],
    )
    .option('--seed <n>', 'random seed, for reproducible values', integerIn(0, 2 ** 31), 1)
    .option(
      '--hold <tag=value>',
      'hold a tag perfectly steady, e.g. SpindleSpeed=12000 (repeatable)',
      heldTag,
      {},
    )
    .action(async (flags: OpcuaFlags) => {
      // Loaded here, not at the top: node-opcua takes a second to load, and only this command needs it.
      const { routeOpcuaLibraryLogs } = await import('../../edge/sources/opcua/opcua-library-logs.js');
      routeOpcuaLibraryLogs((level, text) => console.error(`node-opcua ${level}: ${text}`));
      const { startOpcuaSimulator } = await import('./opcua-simulator.js');
      const securityModes: SecurityModeName[] = flags.secureOnly
        ? ['Sign', 'SignAndEncrypt']
        : ['None', 'Sign', 'SignAndEncrypt'];
      const pkiDir = resolve(flags.pki);
      // Status lines start once the startup description is out, so it comes first.
      let nextStatusS = Number.POSITIVE_INFINITY;
      const simulator = await startOpcuaSimulator({
        host: flags.host,
        port: flags.port,
        assetId: flags.asset,
        scenario: flags.scenario,
        rampS: flags.ramp,
        speed: flags.speed,
        pkiDir,
        securityModes,
        trustUnknownClients: !flags.strictTrust,
        users: flags.user.length > 0 ? flags.user : undefined,
        seed: flags.seed,
        hold: flags.hold,
        onUpdate: ({ simulatedS, progress, state }) => {
          if (simulatedS < nextStatusS) return;
          nextStatusS =
            (Math.floor(simulatedS / SIMULATED_S_PER_STATUS_LINE) + 1) * SIMULATED_S_PER_STATUS_LINE;
          console.error(statusLine(simulatedS, progress, state));
        },
      });
      for (const line of describeOpcuaSimulator(simulator, flags, securityModes, pkiDir)) console.error(line);
      nextStatusS = 0;
      stopOnSignals(() => simulator.stop());
    });
}
