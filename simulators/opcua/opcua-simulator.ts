/**
 * An OPC-UA server that stands in for a CNC machine: the scenario model's process values and the
 * vibration model's waveform, pushed into the address space as they change, so subscriptions see
 * every new value with a (time-scaled) source timestamp.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import {
  DataType,
  MessageSecurityMode,
  MonitoringMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  type StatusCode,
  StatusCodes,
  type UAVariable,
  Variant,
  VariantArrayType,
} from 'node-opcua';
import { type FaultKind, MachineModel } from '../vibration/machine-model.js';
import {
  DEFAULT_RAMP_S,
  MachineRun,
  type MachineState,
  NOMINAL_SPINDLE_SPEED_RPM,
  type ScalarName,
  type Scenario,
  scenarioProgress,
} from './machine-scenarios.js';

export const SIMULATOR_NAMESPACE_URI = 'urn:plantwatch:simulator';

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type SecurityModeName = (typeof SECURITY_MODES)[number];

export interface OpcuaSimulatorOptions {
  /** Interface to listen on, and the host named in endpoint URLs and the certificate. Default 127.0.0.1. */
  host?: string;
  /** TCP port; 0 picks a free one (read it back from `endpointUrl`). */
  port: number;
  /** Default 'cnc-1'. */
  assetId?: string;
  /** Default 'normal'. */
  scenario?: Scenario;
  /** Simulated seconds for the scenario's fault to develop fully. Default 300. */
  rampS?: number;
  /** Time-scale: 1 = real time, 10 = ten simulated seconds per second. Default 1. */
  speed?: number;
  /** Wall-clock interval between scalar updates. Default 200 ms. */
  updateIntervalMs?: number;
  /** Vibration frames; `intervalMs` is wall-clock. Default 12 800 Hz, 8192 samples, every 1000 ms. */
  waveform?: { sampleRateHz: number; samples: number; intervalMs: number };
  /** Server PKI: own certificate and key, trusted/rejected client certificates. Created on first start. */
  pkiDir: string;
  /** Default all three. */
  securityModes?: SecurityModeName[];
  /**
   * Default true (development). False: unknown client certificates are refused and copied to
   * `<pkiDir>/rejected`; moving one to `<pkiDir>/trusted/certs` trusts it.
   */
  trustUnknownClients?: boolean;
  /** When given, sessions must log in as one of these users; anonymous login is refused. */
  users?: { username: string; password: string }[];
  /**
   * Scalar tags held perfectly steady at a value, by name (`{ SpindleSpeed: 12000 }`): a PLC tag that
   * holds still sends no data change, unlike the model's noisy values.
   */
  hold?: Partial<Record<ScalarName, number>>;
  /**
   * Adds tags `HostileDouble`, `HostileString`, `HostileBoolean`, `HostileByteString` and
   * `HostileDateTime` (scalar or array), set only by `pushHostile()`: what a misconfigured or
   * broken PLC sends (strings, NaN, huge arrays, bad status codes). For fuzzing.
   */
  hostileTag?: boolean;
  /** Seed for the process-value noise and the waveform. Default 1. */
  seed?: number;
  /** Called after every scalar update. */
  onUpdate?: (update: { simulatedS: number; progress: number; state: MachineState }) => void;
}

export interface OpcuaSimulatorNode {
  /** Browse name, e.g. 'SpindleTemperature'. */
  name: string;
  /** e.g. 'ns=1;s=cnc-1.SpindleTemperature'. */
  nodeId: string;
  /** e.g. '/Objects/1:Machines/1:cnc-1/1:SpindleTemperature'. */
  browsePath: string;
  unit: string;
}

export interface OpcuaSimulator {
  /** opc.tcp://<host>:<port>, with the host given (not the machine's hostname). */
  endpointUrl: string;
  namespaceUri: string;
  nodes: OpcuaSimulatorNode[];
  /** The server's own certificate (PEM), stable across restarts with the same pkiDir. */
  certificateFile: string;
  /**
   * Sets every monitored item of every session's subscriptions to MonitoringMode.Disabled: the
   * subscriptions keep sending keep-alives but no data, the "silently dead subscription" seen in the
   * field. Returns how many items were disabled.
   */
  silenceSubscriptions(): number;
  /** Sets the hostile tag of the value's data type (started with `hostileTag: true`), any status code. */
  pushHostile(value: Variant, statusCode: StatusCode): void;
  stop(): Promise<void>;
}

interface ScalarChannel {
  name: ScalarName;
  unit: string;
  description: string;
  value: (state: MachineState) => number;
  /** The sensor whose failure the scenario model can report, if any. */
  sensor?: MachineState['droppedOut'][number];
}

const SCALAR_CHANNELS: ScalarChannel[] = [
  { name: 'SpindleSpeed', unit: 'rpm', description: 'spindle speed', value: (s) => s.spindleSpeedRpm },
  {
    name: 'SpindleTemperature',
    unit: 'degC',
    description: 'spindle bearing temperature',
    value: (s) => s.spindleTemperatureC,
    sensor: 'spindleTemperature',
  },
  {
    name: 'CoolantFlow',
    unit: 'L/min',
    description: 'coolant flow to the spindle',
    value: (s) => s.coolantFlowLpm,
    sensor: 'coolantFlow',
  },
  { name: 'MotorCurrent', unit: 'A', description: 'spindle motor current', value: (s) => s.motorCurrentA },
];

const HELD_FIELDS: Record<
  ScalarName,
  'spindleSpeedRpm' | 'spindleTemperatureC' | 'coolantFlowLpm' | 'motorCurrentA'
> = {
  SpindleSpeed: 'spindleSpeedRpm',
  SpindleTemperature: 'spindleTemperatureC',
  CoolantFlow: 'coolantFlowLpm',
  MotorCurrent: 'motorCurrentA',
};

/** The machine's state with the held tags at their fixed values: what the server publishes and reports. */
function withHeldTags(
  state: MachineState,
  hold: Partial<Record<ScalarName, number>> | undefined,
): MachineState {
  if (!hold) return state;
  const held = { ...state };
  for (const [name, value] of Object.entries(hold) as [ScalarName, number][]) held[HELD_FIELDS[name]] = value;
  return held;
}

export const HOSTILE_TYPES = [
  DataType.Double,
  DataType.String,
  DataType.Boolean,
  DataType.ByteString,
  DataType.DateTime,
] as const;

const DEFAULT_WAVEFORM = { sampleRateHz: 12_800, samples: 8192, intervalMs: 1000 };

const SECURITY_MODE: Record<SecurityModeName, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

/** Basic128Rsa15 and Basic256 are deprecated (SHA-1); offer only what the current profiles require. */
const SECURE_POLICIES = [
  SecurityPolicy.Basic256Sha256,
  SecurityPolicy.Aes128_Sha256_RsaOaep,
  SecurityPolicy.Aes256_Sha256_RsaPss,
];

/** Compares digests, so neither the time taken nor an early length mismatch reveals the password. */
const samePassword = (given: string, expected: string): boolean => {
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(expected));
};

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

export async function startOpcuaSimulator(options: OpcuaSimulatorOptions): Promise<OpcuaSimulator> {
  const host = options.host ?? '127.0.0.1';
  const assetId = options.assetId ?? 'cnc-1';
  const scenario = options.scenario ?? 'normal';
  const rampS = options.rampS ?? DEFAULT_RAMP_S;
  const speed = options.speed ?? 1;
  const updateIntervalMs = options.updateIntervalMs ?? 200;
  const waveform = options.waveform ?? DEFAULT_WAVEFORM;
  const securityModes = options.securityModes ?? [...SECURITY_MODES];
  const seed = options.seed ?? 1;
  // An empty list would lock everyone out: treat it as no user list.
  const users = options.users?.length ? options.users : undefined;
  if (securityModes.length === 0) throw new Error('at least one security mode is needed');

  const certificateManager = new OPCUACertificateManager({
    rootFolder: options.pkiDir,
    automaticallyAcceptUnknownCertificate: options.trustUnknownClients ?? true,
  });
  const server = new OPCUAServer({
    port: options.port,
    host,
    // Endpoint URLs and the certificate's subjectAltName name the host we were given, so a client that
    // connects to 127.0.0.1 finds its own URL in the endpoints and in the certificate.
    hostname: host,
    alternateHostname: [host],
    securityModes: securityModes.map((mode) => SECURITY_MODE[mode]),
    securityPolicies: [...(securityModes.includes('None') ? [SecurityPolicy.None] : []), ...SECURE_POLICIES],
    allowAnonymous: !users,
    userManager: users
      ? {
          isValidUser: (username: string, password: string) =>
            users.some((user) => user.username === username && samePassword(password, user.password)),
        }
      : undefined,
    // The own certificate is created under <pkiDir>/own on first start and reused afterwards, so a
    // client that trusted it keeps trusting the server across restarts.
    serverCertificateManager: certificateManager,
    serverInfo: {
      // node-opcua names namespace 1 after the application URI: this makes it our namespace.
      applicationUri: SIMULATOR_NAMESPACE_URI,
      productUri: 'plantwatch-opcua-simulator',
      applicationName: { text: 'Plantwatch OPC-UA machine simulator', locale: 'en' },
    },
    buildInfo: { productName: 'Plantwatch OPC-UA machine simulator', manufacturerName: 'Plantwatch' },
    isAuditing: false,
  });
  await server.initialize();

  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('the OPC-UA server has no address space after initialize()');
  const namespace = addressSpace.getOwnNamespace();
  if (namespace.index !== 1 || namespace.namespaceUri !== SIMULATOR_NAMESPACE_URI) {
    throw new Error(`expected ${SIMULATOR_NAMESPACE_URI} as namespace 1, got ${namespace.namespaceUri}`);
  }
  const machines = namespace.addFolder(addressSpace.rootFolder.objects, {
    browseName: 'Machines',
    nodeId: 's=Machines',
  });
  const machine = namespace.addObject({ organizedBy: machines, browseName: assetId, nodeId: `s=${assetId}` });

  const nodes: OpcuaSimulatorNode[] = [];
  const addVariable = (
    name: string,
    unit: string,
    description: string,
    dataType: DataType,
    valueRank = -1,
  ): UAVariable => {
    const nodeId = `s=${assetId}.${name}`;
    nodes.push({
      name,
      nodeId: `ns=1;${nodeId}`,
      browsePath: `/Objects/1:Machines/1:${assetId}/1:${name}`,
      unit,
    });
    return namespace.addVariable({
      componentOf: machine,
      browseName: name,
      nodeId,
      description: `${description} (${unit})`,
      dataType,
      valueRank,
      accessLevel: 'CurrentRead',
      userAccessLevel: 'CurrentRead',
      // 0: the value changes by exception (we push it), so monitored items report each push.
      minimumSamplingInterval: 0,
    });
  };

  const scalarVariables = SCALAR_CHANNELS.map((channel) => ({
    channel,
    variable: addVariable(channel.name, channel.unit, channel.description, DataType.Double),
  }));
  const vibration = addVariable('Vibration', 'g', 'spindle housing acceleration waveform', DataType.Float, 1);
  const sampleRate = addVariable('VibrationSampleRate', 'Hz', 'vibration sample rate', DataType.Double);
  // One tag per data type (node-opcua checks a value against its tag's type), any rank.
  const hostile = new Map(
    (options.hostileTag ? HOSTILE_TYPES : []).map((type) => [
      type,
      addVariable(`Hostile${DataType[type]}`, 'degC', 'any value, for fuzzing', type, -2),
    ]),
  );

  const run = new MachineRun(scenario, rampS, seed);
  const fault: FaultKind = scenario === 'bearing-defect' ? 'outer-race' : 'healthy';
  const vibrationModel = new MachineModel({
    // The spindle runs at one speed in every scenario (noise aside), and the model's phase is
    // continuous only at a fixed speed.
    rpm: NOMINAL_SPINDLE_SPEED_RPM,
    sampleRateHz: waveform.sampleRateHz,
    fault,
    bpfoMultiple: 3.5848,
    resonanceHz: Math.min(3000, waveform.sampleRateHz / 4),
    seed,
  });

  const startWallMs = Date.now();
  const simulatedSNow = () => ((Date.now() - startWallMs) / 1000) * speed;
  const sourceTimestamp = (simulatedS: number) => new Date(startWallMs + simulatedS * 1000);
  let latest: MachineState = run.stateAt(0);

  const pushScalars = () => {
    const simulatedS = simulatedSNow();
    latest = withHeldTags(run.stateAt(simulatedS), options.hold);
    const timestamp = sourceTimestamp(simulatedS);
    for (const { channel, variable } of scalarVariables) {
      const failed = channel.sensor !== undefined && latest.droppedOut.includes(channel.sensor);
      variable.setValueFromSource(
        new Variant({ dataType: DataType.Double, value: channel.value(latest) }),
        failed ? StatusCodes.BadSensorFailure : StatusCodes.Good,
        timestamp,
      );
    }
    options.onUpdate?.({ simulatedS, progress: scenarioProgress(simulatedS, rampS), state: latest });
  };

  const pushWaveform = () => {
    const simulatedS = simulatedSNow();
    const frame = vibrationModel.nextFrame(waveform.samples, latest.bearingDefectSeverity);
    vibration.setValueFromSource(
      new Variant({
        dataType: DataType.Float,
        arrayType: VariantArrayType.Array,
        value: Float32Array.from(frame),
      }),
      StatusCodes.Good,
      sourceTimestamp(simulatedS),
    );
  };

  sampleRate.setValueFromSource(
    new Variant({ dataType: DataType.Double, value: waveform.sampleRateHz }),
    StatusCodes.Good,
    sourceTimestamp(0),
  );
  // First values before the first client can connect, so a read right after start finds data.
  pushScalars();
  pushWaveform();
  const timers = [setInterval(pushScalars, updateIntervalMs), setInterval(pushWaveform, waveform.intervalMs)];

  try {
    await server.start();
  } catch (error) {
    for (const timer of timers) clearInterval(timer);
    await server.shutdown(0).catch(() => {});
    throw error;
  }
  const port = server.endpoints[0]?.port ?? options.port;

  let stopped = false;
  return {
    endpointUrl: `opc.tcp://${urlHost(host)}:${port}`,
    namespaceUri: SIMULATOR_NAMESPACE_URI,
    nodes,
    certificateFile: join(options.pkiDir, 'own', 'certs', 'certificate.pem'),
    silenceSubscriptions() {
      let disabled = 0;
      for (const session of server.engine.getSessions()) {
        for (const subscription of session.publishEngine.subscriptions) {
          for (const handle of subscription.getMonitoredItems().serverHandles) {
            const item = subscription.getMonitoredItem(handle);
            if (item && item.monitoringMode !== MonitoringMode.Disabled) {
              item.setMonitoringMode(MonitoringMode.Disabled);
              disabled++;
            }
          }
        }
      }
      return disabled;
    },
    pushHostile(value, statusCode) {
      const tag = hostile.get(value.dataType as (typeof HOSTILE_TYPES)[number]);
      if (!tag)
        throw new Error(`no hostile tag of type ${DataType[value.dataType]}: start with hostileTag: true`);
      tag.setValueFromSource(value, statusCode, new Date());
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      // No grace period: clients see the connection drop, as they would when the machine's PLC restarts.
      await server.shutdown(0);
    },
  };
}
