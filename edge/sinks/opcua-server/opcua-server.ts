/**
 * The agent's condition monitoring as an OPC-UA server: what a PLC or a SCADA reads without any
 * integration but an endpoint URL and a login. Built like the machine simulator's server
 * (simulators/opcua/), with security by default: SignAndEncrypt, logins, unknown clients refused.
 */
import { join } from 'node:path';
import {
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  RegisterServerMethod,
  SecurityPolicy,
} from 'node-opcua';
import type { Logger } from 'pino';
import { passwordMatches } from '../../sources/mqtt/broker-logins.js';
import { routeOpcuaLibraryLogs } from '../../sources/opcua/opcua-library-logs.js';
import type { SecurityModeName } from '../../sources/opcua/opcua-config.js';
import type { AssetHealth } from '../../status/asset-health.js';
import { AssetNodes } from './asset-nodes.js';
import type { OpcuaServerConfig, ServerSecurityPolicyName } from './opcua-server-config.js';

/** The namespace of the `Assets` tree: the same on every gateway, so a SCADA template fits them all. */
export const CONDITION_NAMESPACE_URI = 'urn:plantwatch:condition-monitoring';

export interface ConditionSource {
  gatewayId: string;
  /** Every asset's health now (`assetHealthOf`). */
  health(): AssetHealth[];
  /** Measured values older than this are served as UncertainLastUsableValue. */
  staleAfterMs: number;
  /** Counts a refused login (the metric); the name is logged, the password never. */
  loginRefused?(reason: 'unknown_user' | 'wrong_password'): void;
  /** Counts an asset whose nodes could not be brought up to date (the metric; the log names it). */
  assetUpdateFailed?(): void;
}

export interface RunningOpcuaServer {
  endpointUrl: string;
  /** The server's own certificate (PEM), for clients to trust. */
  certificateFile: string;
  stop(): Promise<void>;
}

const SECURITY_MODE: Record<SecurityModeName, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

const SECURITY_POLICY: Record<ServerSecurityPolicyName, SecurityPolicy> = {
  Basic256Sha256: SecurityPolicy.Basic256Sha256,
  Aes128_Sha256_RsaOaep: SecurityPolicy.Aes128_Sha256_RsaOaep,
  Aes256_Sha256_RsaPss: SecurityPolicy.Aes256_Sha256_RsaPss,
};

const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

export async function startOpcuaServer(
  config: OpcuaServerConfig,
  source: ConditionSource,
  logger: Logger,
): Promise<RunningOpcuaServer> {
  routeOpcuaLibraryLogs((level, text) => logger.debug({ component: 'node-opcua', level }, text));
  const log = logger.child({ component: 'opcua-server' });
  const certificateManager = new OPCUACertificateManager({
    rootFolder: config.pkiDir,
    automaticallyAcceptUnknownCertificate: config.trustUnknownClients,
  });
  const { users } = config;
  const server = new OPCUAServer({
    port: config.port,
    host: config.host,
    // Endpoint URLs and the certificate name the configured host, so a client finds its own URL in both.
    hostname: config.host,
    alternateHostname: [config.host],
    securityModes: config.securityModes.map((mode) => SECURITY_MODE[mode]),
    securityPolicies: [
      ...(config.securityModes.includes('None') ? [SecurityPolicy.None] : []),
      ...config.securityPolicies.map((policy) => SECURITY_POLICY[policy]),
    ],
    allowAnonymous: config.allowAnonymous,
    userManager: {
      isValidUserAsync(username, password, callback) {
        const user = users.find((u) => u.username === username);
        const given = Buffer.from(password ?? '', 'utf8');
        (user ? passwordMatches(user, given) : Promise.resolve(false)).then(
          (valid) => {
            if (!valid) {
              const reason = user ? 'wrong_password' : 'unknown_user';
              source.loginRefused?.(reason);
              // The name only: a mistyped password is often another account's.
              log.warn({ username, reason }, 'OPC-UA login refused');
            }
            callback(null, valid);
          },
          (error: unknown) => callback(error as Error),
        );
      },
    },
    serverCertificateManager: certificateManager,
    // A gateway announces itself to no discovery server: clients are given its URL.
    registerServerMethod: RegisterServerMethod.HIDDEN,
    serverInfo: {
      applicationUri: `urn:plantwatch:edge:${source.gatewayId}`,
      productUri: 'plantwatch-edge',
      applicationName: { text: `Plantwatch edge ${source.gatewayId}`, locale: 'en' },
    },
    buildInfo: { productName: 'Plantwatch edge agent', manufacturerName: 'Plantwatch' },
    isAuditing: false,
  });
  await server.initialize();
  const addressSpace = server.engine.addressSpace;
  if (!addressSpace) throw new Error('the OPC-UA server has no address space after initialize()');
  const nodes = new AssetNodes(
    addressSpace.registerNamespace(CONDITION_NAMESPACE_URI),
    log,
    source.assetUpdateFailed,
  );

  const refresh = () => {
    try {
      nodes.update(source.health(), Date.now(), source.staleAfterMs);
    } catch (error) {
      // Failures of one asset are caught per asset (AssetNodes.update); this is the health read
      // itself. The values stay as they were and say so by their timestamps; the agent runs on.
      log.error({ err: error }, 'OPC-UA server could not bring the asset values up to date');
    }
  };
  // Values before the first client can connect, so a read right after start finds them.
  refresh();
  const timer = setInterval(refresh, config.intervalMs);
  try {
    await server.start();
  } catch (error) {
    clearInterval(timer);
    await server.shutdown(0).catch(() => {});
    throw startError(error, config);
  }
  const port = server.endpoints[0]?.port ?? config.port;
  const endpointUrl = `opc.tcp://${urlHost(config.host)}:${port}`;
  log.info(
    {
      endpoint: endpointUrl,
      securityModes: config.securityModes,
      users: users.map((u) => u.username),
      anonymous: config.allowAnonymous,
    },
    config.trustUnknownClients
      ? 'OPC-UA server running; client certificates trusted on first use'
      : `OPC-UA server running; an unknown client certificate lands in ${join(config.pkiDir, 'rejected')}: move it to ${join(config.pkiDir, 'trusted', 'certs')} to trust it`,
  );

  let stopped = false;
  return {
    endpointUrl,
    certificateFile: join(config.pkiDir, 'own', 'certs', 'certificate.pem'),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await server.shutdown(0);
    },
  };
}

/** A port taken by another program is the usual failure: say which and how to move. */
function startError(error: unknown, config: OpcuaServerConfig): Error {
  const text = error instanceof Error ? error.message : String(error);
  if (/EADDRINUSE|address already in use/i.test(text))
    return new Error(
      `opcuaServer: port ${config.port} on ${config.host} is already in use (another OPC-UA server?); ` +
        'set opcuaServer.port to a free port',
    );
  return new Error(`opcuaServer: could not start on ${config.host}:${config.port}: ${text}`);
}
