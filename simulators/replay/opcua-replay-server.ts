/**
 * An OPC-UA server that a replay publishes into instead of an MQTT broker: each replayed asset/channel
 * is a Float array node that takes every frame's samples, stamped with the frame's data-clock time.
 * It is a `WaveformPublisher`, so `startReplay` paces OPC-UA exactly as it paces MQTT.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  type UAVariable,
  Variant,
  VariantArrayType,
} from 'node-opcua';
import { measurementTopic, type WaveformPayload } from '../../shared/schema/index.js';
import type { WaveformPublisher } from './replay-publisher.js';

export const REPLAY_NAMESPACE_URI = 'urn:plantwatch:replay';

/** One replayed asset/channel, as the server exposes it. */
export interface ReplayChannel {
  assetId: string;
  channel: string;
  /** The first recording's rate, for the edge config (which fixes one rate per node). */
  sampleRateHz: number;
  /** Whether any recording of this channel carries a shaft speed. */
  hasRpm: boolean;
}

export interface ReplayChannelNodes extends ReplayChannel {
  /** `ns=1;s=<asset>.<channel>.Waveform`: Float array, one frame per value. */
  waveformNodeId: string;
  /** `ns=1;s=<asset>.<channel>.SampleRateHz`: Double. */
  sampleRateNodeId: string;
  /** `ns=1;s=<asset>.<channel>.Rpm`: Double, the shaft speed sent with the frame. */
  rpmNodeId: string;
  /** `/Objects/1:Replay/1:<asset>/1:<channel>/1:Waveform`. */
  waveformBrowsePath: string;
}

export interface OpcuaReplayServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 picks a free port (read it back from `endpointUrl`). */
  port: number;
  channels: ReplayChannel[];
  /** The topic prefix `startReplay` is given: the server recognises its channels by topic. */
  topicPrefix: string;
  /** Own certificate and trust lists; default a temporary folder, removed on stop. */
  pkiDir?: string;
  /** How long `stop` waits for node-opcua's shutdown. Default 5 s. */
  closeTimeoutMs?: number;
}

export interface OpcuaReplayServer extends WaveformPublisher {
  /** opc.tcp://<host>:<port>. */
  endpointUrl: string;
  namespaceUri: string;
  nodes: ReplayChannelNodes[];
  stop(): Promise<void>;
}

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

interface ChannelVariables {
  waveform: UAVariable;
  sampleRate: UAVariable;
  rpm: UAVariable;
}

export async function startOpcuaReplayServer(options: OpcuaReplayServerOptions): Promise<OpcuaReplayServer> {
  const host = options.host ?? '127.0.0.1';
  const closeTimeoutMs = options.closeTimeoutMs ?? 5000;
  const ownPki = options.pkiDir === undefined;
  const pkiDir = options.pkiDir ?? (await mkdtemp(join(tmpdir(), 'plantwatch-replay-pki-')));
  const removeOwnPki = () => (ownPki ? rm(pkiDir, { recursive: true, force: true }) : Promise.resolve());

  const server = new OPCUAServer({
    port: options.port,
    host,
    hostname: host,
    alternateHostname: [host],
    // A replay is a bench tool on loopback: no security, anonymous login, so any client reads it at once.
    securityModes: [MessageSecurityMode.None],
    securityPolicies: [SecurityPolicy.None],
    allowAnonymous: true,
    serverCertificateManager: new OPCUACertificateManager({
      rootFolder: pkiDir,
      automaticallyAcceptUnknownCertificate: true,
    }),
    serverInfo: {
      // node-opcua names namespace 1 after the application URI.
      applicationUri: REPLAY_NAMESPACE_URI,
      productUri: 'plantwatch-replay',
      applicationName: { text: 'Plantwatch replay', locale: 'en' },
    },
    buildInfo: { productName: 'Plantwatch replay', manufacturerName: 'Plantwatch' },
    isAuditing: false,
  });
  const variables = new Map<string, ChannelVariables>();
  const nodes: ReplayChannelNodes[] = [];
  try {
    await server.initialize();
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error('the OPC-UA server has no address space after initialize()');
    const namespace = addressSpace.getOwnNamespace();
    const folder = namespace.addFolder(addressSpace.rootFolder.objects, {
      browseName: 'Replay',
      nodeId: 's=Replay',
    });
    const assets = new Map<string, ReturnType<typeof namespace.addObject>>();
    const seen = new Set<string>();
    for (const { assetId, channel, sampleRateHz, hasRpm } of options.channels) {
      const key = `${assetId}.${channel}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let asset = assets.get(assetId);
      if (!asset) {
        // '/' cannot occur in ids, so these never collide with the variables' `<asset>.<channel>.` ids.
        asset = namespace.addObject({
          organizedBy: folder,
          browseName: assetId,
          nodeId: `s=Replay/${assetId}`,
        });
        assets.set(assetId, asset);
      }
      const channelObject = namespace.addObject({
        componentOf: asset,
        browseName: channel,
        nodeId: `s=Replay/${assetId}/${channel}`,
      });
      const addVariable = (name: string, description: string, dataType: DataType, valueRank = -1) =>
        namespace.addVariable({
          componentOf: channelObject,
          browseName: name,
          nodeId: `s=${key}.${name}`,
          description,
          dataType,
          valueRank,
          accessLevel: 'CurrentRead',
          userAccessLevel: 'CurrentRead',
          // 0: values change by exception (each frame is pushed), so monitored items report each push.
          minimumSamplingInterval: 0,
        });
      const channelVariables: ChannelVariables = {
        waveform: addVariable('Waveform', `${channel} acceleration, one replayed frame`, DataType.Float, 1),
        sampleRate: addVariable('SampleRateHz', `${channel} sample rate (Hz)`, DataType.Double),
        rpm: addVariable('Rpm', `${assetId} shaft speed (rpm)`, DataType.Double),
      };
      // Nothing replayed yet: a client reading now is told so rather than handed an empty array.
      for (const variable of Object.values(channelVariables)) {
        variable.setValueFromSource(
          new Variant({ dataType: DataType.Null }),
          StatusCodes.BadWaitingForInitialData,
        );
      }
      variables.set(measurementTopic(options.topicPrefix, assetId, channel, 'waveform'), channelVariables);
      nodes.push({
        assetId,
        channel,
        sampleRateHz,
        hasRpm,
        waveformNodeId: `ns=1;s=${key}.Waveform`,
        sampleRateNodeId: `ns=1;s=${key}.SampleRateHz`,
        rpmNodeId: `ns=1;s=${key}.Rpm`,
        waveformBrowsePath: `/Objects/1:Replay/1:${assetId}/1:${channel}/1:Waveform`,
      });
    }
    await server.start();
  } catch (error) {
    await server.shutdown(0).catch(() => {});
    await removeOwnPki();
    throw error;
  }
  const port = server.endpoints[0]?.port ?? options.port;

  let stopping: Promise<void> | undefined;
  return {
    endpointUrl: `opc.tcp://${urlHost(host)}:${port}`,
    namespaceUri: REPLAY_NAMESPACE_URI,
    nodes,
    async publishAsync(topic: string, payload: string) {
      const channel = variables.get(topic);
      if (!channel) throw new Error(`no OPC-UA node for ${topic}`);
      if (stopping) throw new Error('the OPC-UA replay server is stopped');
      const frame = JSON.parse(payload) as WaveformPayload;
      const sourceTimestamp = new Date(frame.ts ?? Date.now());
      const double = (value: number) => new Variant({ dataType: DataType.Double, value });
      // Rate and speed first: a client that sees the new frame also sees what it was sampled at.
      channel.sampleRate.setValueFromSource(double(frame.sampleRateHz), StatusCodes.Good, sourceTimestamp);
      if (frame.rpm !== undefined) {
        channel.rpm.setValueFromSource(double(frame.rpm), StatusCodes.Good, sourceTimestamp);
      }
      channel.waveform.setValueFromSource(
        new Variant({
          dataType: DataType.Float,
          arrayType: VariantArrayType.Array,
          value: Float32Array.from(frame.samples),
        }),
        StatusCodes.Good,
        sourceTimestamp,
      );
    },
    stop() {
      stopping ??= (async () => {
        let timer: NodeJS.Timeout | undefined;
        try {
          // No grace period, and a cap: a client that never answers must not hold the replay open.
          await Promise.race([
            server.shutdown(0),
            new Promise<void>((resolve) => {
              timer = setTimeout(resolve, closeTimeoutMs);
            }),
          ]);
        } finally {
          clearTimeout(timer);
          await removeOwnPki();
        }
      })();
      return stopping;
    },
  };
}

/**
 * The replay's channels, one per asset/channel in order of first appearance. A channel recorded at
 * several rates keeps the first: the edge config fixes one rate per node, so `mixedRates` names them.
 */
export function replayChannels(
  recordings: { assetId: string; channel: string; sampleRateHz: number; rpm?: number }[],
): { channels: ReplayChannel[]; mixedRates: string[] } {
  const channels = new Map<string, ReplayChannel>();
  const mixedRates = new Set<string>();
  for (const r of recordings) {
    const key = `${r.assetId}/${r.channel}`;
    const known = channels.get(key);
    if (!known) {
      channels.set(key, {
        assetId: r.assetId,
        channel: r.channel,
        sampleRateHz: r.sampleRateHz,
        hasRpm: r.rpm !== undefined,
      });
      continue;
    }
    known.hasRpm ||= r.rpm !== undefined;
    if (known.sampleRateHz !== r.sampleRateHz) mixedRates.add(key);
  }
  return { channels: [...channels.values()], mixedRates: [...mixedRates] };
}

/** An `opcua:` list for the edge config that reads every waveform (and shaft speed) the server replays. */
export function edgeConfigFragment(endpointUrl: string, nodes: ReplayChannelNodes[], unit: string): string {
  const lines = [
    '# edge config: put this opcua list into your edge config to analyse the replay',
    'opcua:',
    '  - id: replay',
    `    url: ${endpointUrl}`,
    '    securityMode: None',
    '    publishingInterval: 200ms',
    '    nodes:',
  ];
  for (const node of nodes) {
    lines.push(
      `      - nodeId: ${node.waveformNodeId}`,
      `        assetId: ${node.assetId}`,
      `        channel: ${node.channel}`,
      `        waveform: { sampleRateHz: ${node.sampleRateHz}, unit: ${unit} }`,
    );
    if (node.hasRpm) {
      lines.push(
        `      - nodeId: ${node.rpmNodeId} # name it in the asset's rpmChannel`,
        `        assetId: ${node.assetId}`,
        `        channel: ${node.channel}_rpm`,
        '        unit: rpm',
      );
    }
  }
  return lines.join('\n');
}
