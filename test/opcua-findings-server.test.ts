import { readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttributeIds,
  type ClientSession,
  DataType,
  type DataValue,
  type EUInformation,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  type UserIdentityInfo,
  UserTokenType,
  Variant,
} from 'node-opcua';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdgeAgent } from '../edge/agent.js';
import type { EdgeConfigFile } from '../edge/config.js';
import { CONDITION_NAMESPACE_URI } from '../edge/sinks/opcua-server/opcua-server.js';
import { startVibrationSimulator } from '../simulators/vibration/publisher.js';
import {
  capturingLogger,
  freePort,
  removeTempDirs,
  startTestCloud,
  tempDir,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';

const running: { stop(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
  removeTempDirs();
});

const SCADA = { username: 'scada', password: 'scada-password-4711' };
const SCADA_LOGIN: UserIdentityInfo = {
  type: UserTokenType.UserName,
  userName: SCADA.username,
  password: SCADA.password,
};

/** An agent with a cloud for its tickets, serving its findings on a free loopback port. */
async function agentServing(
  opcuaServer: NonNullable<EdgeConfigFile['opcuaServer']>,
  assets = [{ id: 'fan-9' }],
) {
  const cloud = await startTestCloud();
  running.push(cloud);
  const token = await cloud.store.access.createGatewayToken('gw-test', { sites: ['test-site'] });
  const port = await freePort();
  const log = capturingLogger();
  const config = testEdgeConfig({
    cloud: { url: cloud.url, token },
    assets,
    rules: { staleAfter: '3s' },
    opcuaServer: { port, interval: '200ms', ...opcuaServer },
  });
  const agent = await startEdgeAgent(config, log.logger);
  running.push(agent);
  return { agent, config, url: `opc.tcp://127.0.0.1:${port}`, log };
}

/** A SCADA's client: its own certificate, trusting the agent's on first use. */
async function connect(url: string, pkiDir = join(tempDir(), 'scada-pki')) {
  const client = OPCUAClient.create({
    applicationName: 'test-scada',
    securityMode: MessageSecurityMode.SignAndEncrypt,
    securityPolicy: SecurityPolicy.Basic256Sha256,
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    clientCertificateManager: new OPCUACertificateManager({
      rootFolder: pkiDir,
      automaticallyAcceptUnknownCertificate: true,
    }),
  });
  await client.connect(url);
  running.push({ stop: () => client.disconnect() });
  return client;
}

async function login(url: string, identity: UserIdentityInfo = SCADA_LOGIN): Promise<ClientSession> {
  const client = await connect(url);
  const session = await client.createSession(identity);
  running.push({ stop: () => session.close() });
  return session;
}

/** Node ids in the condition namespace, whose index the server assigns. */
async function nodeIds(session: ClientSession) {
  const ns = (await session.readNamespaceArray()).indexOf(CONDITION_NAMESPACE_URI);
  expect(ns).toBeGreaterThan(0);
  return (name: string) => `ns=${ns};s=${name}`;
}

const browseNames = async (session: ClientSession, nodeId: string) =>
  (await session.browse(nodeId)).references?.map((r) => r.browseName.name) ?? [];

const read = (session: ClientSession, nodeId: string): Promise<DataValue> =>
  session.read({ nodeId, attributeId: AttributeIds.Value });

describe("the agent's findings as an OPC-UA server", () => {
  it('serves every asset to a SCADA: browse, read, subscribe to the alarm as the ticket opens, writes refused', async () => {
    const { agent, url } = await agentServing({ users: [SCADA], trustUnknownClients: true });
    const session = await login(url);
    const node = await nodeIds(session);

    // Configured but never heard from: the asset is there, its measured values are not.
    expect(await browseNames(session, node('Assets'))).toEqual(['fan-9']);
    expect(await browseNames(session, node('fan-9'))).toEqual(
      expect.arrayContaining([
        'HealthState',
        'NE107Status',
        'NE107Code',
        'IsoZone',
        'VelocityRms',
        'OpenTickets',
        'Findings',
        'LastDataAt',
      ]),
    );
    const fanState = await read(session, node('fan-9.HealthState'));
    expect([fanState.value.value, fanState.statusCode.name]).toEqual(['unknown', 'Good']);
    expect((await read(session, node('fan-9.NE107Code'))).value.value).toBe(3);
    expect((await read(session, node('fan-9.VelocityRms'))).statusCode).toBe(StatusCodes.BadNoCommunication);
    expect((await read(session, node('fan-9.LastDataAt'))).statusCode).toBe(StatusCodes.BadNoCommunication);

    // A pump nobody configured starts sending an unbalance that grows into ISO zone D.
    const simulator = await startVibrationSimulator({
      brokerUrl: agent.brokerUrl,
      topicPrefix: 'plantwatch',
      assetId: 'pump-1',
      channel: 'de-accel',
      fault: 'unbalance',
      rpm: 1780,
      sampleRateHz: 12_800,
      samplesPerFrame: 4096,
      rampS: 5,
      speed: 20,
      frames: 0,
      seed: 7,
    });
    running.push(simulator);
    await waitFor(
      async () => (await browseNames(session, node('Assets'))).includes('pump-1'),
      'pump-1 added',
    );

    const subscription = await session.createSubscription2({
      requestedPublishingInterval: 100,
      requestedMaxKeepAliveCount: 10,
      requestedLifetimeCount: 100,
      publishingEnabled: true,
    });
    const seen: Record<string, unknown[]> = { HealthState: [], NE107Status: [] };
    for (const name of Object.keys(seen)) {
      const item = await subscription.monitor(
        { nodeId: node(`pump-1.${name}`), attributeId: AttributeIds.Value },
        { samplingInterval: 100, queueSize: 10, discardOldest: true },
        TimestampsToReturn.Both,
      );
      item.on('changed', (value: DataValue) => seen[name]!.push(value.value.value));
    }
    await waitFor(() => seen.HealthState!.includes('alarm'), 'HealthState alarm by subscription', 40_000);
    await waitFor(() => seen.NE107Status!.includes('failure'), 'NE107Status failure by subscription');
    await waitFor(() => agent.status().openTickets > 0, 'the ticket to open');
    await waitFor(
      async () => (await read(session, node('pump-1.OpenTickets'))).value.value > 0,
      'OpenTickets',
    );

    const velocity = await read(session, node('pump-1.VelocityRms'));
    expect(velocity.statusCode).toBe(StatusCodes.Good);
    expect(velocity.value.dataType).toBe(DataType.Double);
    expect(velocity.value.value).toBeGreaterThan(7.1);
    expect((await read(session, node('pump-1.IsoZone'))).value.value).toBe('D');
    expect((await read(session, node('pump-1.NE107Code'))).value.value).toBe(4);
    const openTickets = await read(session, node('pump-1.OpenTickets'));
    expect(openTickets.value.dataType).toBe(DataType.UInt32);
    const lastDataAt = await read(session, node('pump-1.LastDataAt'));
    expect(Date.now() - (lastDataAt.value.value as Date).getTime()).toBeLessThan(5000);
    // The velocity is an AnalogItem in mm/s.
    const properties = await session.browse(node('pump-1.VelocityRms'));
    const unitsNode = properties.references?.find((r) => r.browseName.name === 'EngineeringUnits')?.nodeId;
    expect(
      (
        (await session.read({ nodeId: unitsNode!, attributeId: AttributeIds.Value })).value
          .value as EUInformation
      ).displayName.text,
    ).toBe('mm/s');
    // One Double per fault the analysis reports, the unbalance confident.
    expect(await browseNames(session, node('pump-1.Findings'))).toContain('unbalance');
    const unbalance = await read(session, node('pump-1.Findings.unbalance'));
    expect(unbalance.value.dataType).toBe(DataType.Double);
    expect(unbalance.value.value).toBeGreaterThanOrEqual(0.5);
    expect(unbalance.value.value).toBeLessThanOrEqual(1);

    // Read-only: a SCADA cannot clear the alarm by writing.
    const written = await session.write({
      nodeId: node('pump-1.HealthState'),
      attributeId: AttributeIds.Value,
      value: { value: new Variant({ dataType: DataType.String, value: 'healthy' }) },
    });
    expect(written).toBe(StatusCodes.BadNotWritable);
    expect((await read(session, node('pump-1.HealthState'))).value.value).toBe('alarm');

    // The pump falls silent: its values are no longer Good, but the last usable ones.
    await simulator.stop();
    await waitFor(
      async () =>
        (await read(session, node('pump-1.VelocityRms'))).statusCode === StatusCodes.UncertainLastUsableValue,
      'the velocity to turn uncertain after staleAfter',
    );
    expect((await read(session, node('pump-1.LastDataAt'))).statusCode).toBe(StatusCodes.Good);
  }, 60_000);

  it('refuses anonymous sessions and wrong passwords unless allowed, without logging the password', async () => {
    const { agent, url, log } = await agentServing({ users: [SCADA], trustUnknownClients: true });
    const client = await connect(url);
    // The server offers no anonymous token policy at all: the client cannot even ask.
    await expect(client.createSession()).rejects.toThrow(/Cannot find ANONYMOUS user token policy/);
    await expect(
      client.createSession({
        type: UserTokenType.UserName,
        userName: 'scada',
        password: 'wrong-password-0815',
      }),
    ).rejects.toThrow(/BadUserAccessDenied|BadIdentityTokenRejected/);
    expect(log.lines().some((l) => l.msg === 'OPC-UA login refused' && l.username === 'scada')).toBe(true);
    expect(JSON.stringify(log.lines())).not.toContain('wrong-password-0815');
    expect(JSON.stringify(log.lines())).not.toContain(SCADA.password);
    await expect(
      client.createSession({ type: UserTokenType.UserName, userName: 'intruder', password: 'guess-1234' }),
    ).rejects.toThrow(/BadUserAccessDenied|BadIdentityTokenRejected/);
    const metrics = await (await fetch(`${agent.statusUrl}/metrics`)).text();
    expect(metrics).toContain('plantwatch_edge_opcua_server_logins_refused_total{reason="wrong_password"} 1');
    expect(metrics).toContain('plantwatch_edge_opcua_server_logins_refused_total{reason="unknown_user"} 1');
    const session = await client.createSession(SCADA_LOGIN);
    running.push({ stop: () => session.close() });
    expect((await nodeIds(session))('Assets')).toMatch(/^ns=\d+;s=Assets$/);

    const { url: open } = await agentServing({ allowAnonymous: true, trustUnknownClients: true });
    const anonymous = await login(open, { type: UserTokenType.Anonymous });
    const node = await nodeIds(anonymous);
    expect((await read(anonymous, node('fan-9.HealthState'))).value.value).toBe('unknown');
  });

  it('refuses an unknown client certificate until it is moved to trusted, as the log says', async () => {
    const { config, url, log } = await agentServing({ users: [SCADA] });
    const pki = config.opcuaServer.pkiDir;
    expect(log.lines().find((l) => l.msg?.toString().startsWith('OPC-UA server running'))?.msg).toContain(
      `move it to ${join(pki, 'trusted', 'certs')}`,
    );
    const scadaPki = join(tempDir(), 'scada-pki');
    await expect(connect(url, scadaPki)).rejects.toThrow();
    const [rejected] = readdirSync(join(pki, 'rejected'));
    renameSync(join(pki, 'rejected', rejected!), join(pki, 'trusted', 'certs', rejected!));
    // The server's trust list is read again on its own, not at once.
    const client = await waitFor(
      () => connect(url, scadaPki).catch(() => undefined),
      'the trusted connection',
    );
    const session = await client.createSession(SCADA_LOGIN);
    running.push({ stop: () => session.close() });
    expect((await nodeIds(session))('Assets')).toMatch(/;s=Assets$/);
  });

  it('says which port is taken and which option moves it', async () => {
    const { config } = await agentServing({ allowAnonymous: true });
    const port = config.opcuaServer.port;
    const cloud = await startTestCloud();
    running.push(cloud);
    await expect(
      startEdgeAgent(
        testEdgeConfig({
          cloud: { url: cloud.url, token: 'pwgw_0123456789abcdef' },
          opcuaServer: { port, allowAnonymous: true },
        }),
        capturingLogger().logger,
      ),
    ).rejects.toThrow(
      `opcuaServer: port ${port} on 127.0.0.1 is already in use (another OPC-UA server?); set opcuaServer.port to a free port`,
    );
  });
});
