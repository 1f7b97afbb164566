import { readFileSync } from 'node:fs';
import {
  AttributeIds,
  ClientMonitoredItemGroup,
  type ClientSession,
  type ClientSubscription,
  DataChangeFilter,
  DataChangeTrigger,
  type DataValue,
  DeadbandType,
  makeBrowsePath,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  type NodeId,
  resolveNodeId,
  SecurityPolicy,
  TimestampsToReturn,
  type UserIdentityInfo,
  UserTokenType,
} from 'node-opcua';
import { MAX_KEEP_ALIVE_COUNT, type OpcuaEndpointConfig, type OpcuaNodeConfig } from './opcua-config.js';

/** What one connection reports to the source that owns it. */
export interface SessionEvents {
  value(node: OpcuaNodeConfig, dataValue: DataValue): void;
  /** A node that cannot be read at all (unknown id, browse path without a match): a config problem. */
  nodeProblem(node: OpcuaNodeConfig, problem: string): void;
  /** The subscription answered (data or keep-alive): the server is alive and reported every change. */
  alive(): void;
  /** The data watchdog re-created the subscription. */
  subscriptionRecreated(reason: string): void;
}

/** Bounds for each request, so a server that accepts TCP but never answers cannot hang the source. */
const REQUEST_TIMEOUT_MS = 10_000;
const WATCHDOG_TICK_MS = 500;

const NODE_ERRORS =
  /BadNodeIdUnknown|BadNodeIdInvalid|BadAttributeIdInvalid|BadNotReadable|BadUserAccessDenied/;

function withTimeout<T>(promise: Promise<T>, what: string, ms = REQUEST_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} got no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function userIdentity(config: OpcuaEndpointConfig): UserIdentityInfo | undefined {
  const { user } = config;
  if (!user) return undefined;
  if ('username' in user) {
    return { type: UserTokenType.UserName, userName: user.username, password: user.password };
  }
  return {
    type: UserTokenType.Certificate,
    certificateData: derCertificate(readFileSync(user.certificateFile)),
    privateKey: readFileSync(user.privateKeyFile, 'utf8'),
  };
}

/** The identity token carries DER; certificates are usually handed out as PEM. */
function derCertificate(file: Buffer): Buffer {
  const pem = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(
    file.toString('latin1'),
  );
  return pem ? Buffer.from((pem[1] ?? '').replace(/\s+/g, ''), 'base64') : file;
}

/**
 * `nsu=<uri>;s=...` names the namespace by URI, because servers may renumber namespaces between
 * restarts; the index is looked up in the server's namespace array at each connection.
 */
function withNamespaceIndex(nodeId: string, namespaces: string[]): string | undefined {
  const match = /^nsu=([^;]+);(.*)$/s.exec(nodeId);
  if (!match) return nodeId;
  const index = namespaces.indexOf(match[1] ?? '');
  return index < 0 ? undefined : `ns=${index};${match[2]}`;
}

interface MonitoredNode {
  node: OpcuaNodeConfig;
  nodeId: NodeId;
}

/**
 * One connection to an endpoint: secure channel, session, and a subscription (or a poll loop) over the
 * mapped nodes. It never repairs itself; when anything breaks it resolves `broken` with the reason and
 * the source builds a fresh one. Recreating everything is what survives server restarts, where
 * node-opcua's own session repair has been seen to leave subscriptions silently dead.
 */
export class OpcuaSession {
  /** Resolves with the reason once this connection can no longer deliver data. */
  readonly broken: Promise<string>;
  private breakWith!: (reason: string) => void;
  private closed = false;
  private client?: OPCUAClient;
  private session?: ClientSession;
  private subscription?: ClientSubscription;
  private readonly timers: NodeJS.Timeout[] = [];
  private monitored: MonitoredNode[] = [];
  /** Wall time of the last data change and of the last publish response of any kind (data or keep-alive). */
  private lastDataAt = Date.now();
  private lastPublishAt = Date.now();

  constructor(
    private readonly config: OpcuaEndpointConfig,
    private readonly events: SessionEvents,
  ) {
    this.broken = new Promise((resolve) => {
      this.breakWith = resolve;
    });
  }

  /** Connects, logs in, resolves the nodes and starts delivering values; throws when any step fails. */
  async open(): Promise<void> {
    const { config } = this;
    const clientCertificateManager = new OPCUACertificateManager({
      rootFolder: config.pkiDir,
      automaticallyAcceptUnknownCertificate: false,
    });
    await clientCertificateManager.initialize();
    const client = OPCUAClient.create({
      applicationName: 'Plantwatch edge agent',
      clientName: 'plantwatch-edge',
      securityMode: MessageSecurityMode[config.securityMode],
      securityPolicy: SecurityPolicy[config.securityPolicy],
      endpointMustExist: false,
      // The source owns reconnection: the client fails fast and reports, never retries on its own.
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      clientCertificateManager,
      keepSessionAlive: true,
      requestedSessionTimeout: 60_000,
    });
    this.client = client;
    client.on('connection_lost', () => this.breakWith('connection lost'));
    client.on('close', () => this.breakWith('connection closed by the server'));
    await withTimeout(client.connect(config.url), `connecting to ${config.url}`);
    const session = await withTimeout(client.createSession(userIdentity(config)), 'creating a session');
    this.session = session;
    session.on('session_closed', () => this.breakWith('session closed'));
    session.on('keepalive_failure', () => this.breakWith('session keep-alive failed'));

    this.monitored = await this.resolveNodes(session);
    if (config.mode === 'poll') {
      this.monitored = await this.readableNodes(session, this.monitored);
      this.startPolling(session);
    } else {
      await this.subscribe(session);
      this.startWatchdog();
    }
  }

  /** Node ids for every mapped node; browse paths are translated on the server at each connection. */
  private async resolveNodes(session: ClientSession): Promise<MonitoredNode[]> {
    const byPath = this.config.nodes.filter((node) => node.browsePath);
    const results = byPath.length
      ? await withTimeout(
          session.translateBrowsePath(
            byPath.map((node) => makeBrowsePath('RootFolder', node.browsePath ?? '')),
          ),
          'translating browse paths',
        )
      : [];
    const targets = new Map(byPath.map((node, i) => [node, results[i]]));
    const namespaces = this.config.nodes.some((node) => node.nodeId?.startsWith('nsu='))
      ? await withTimeout(session.readNamespaceArray(), 'reading the namespace array')
      : [];
    const resolved: MonitoredNode[] = [];
    for (const node of this.config.nodes) {
      if (node.nodeId) {
        const nodeId = withNamespaceIndex(node.nodeId, namespaces);
        if (nodeId) resolved.push({ node, nodeId: resolveNodeId(nodeId) });
        else
          this.events.nodeProblem(
            node,
            `the server has no namespace ${/^nsu=([^;]+)/.exec(node.nodeId)?.[1]}`,
          );
        continue;
      }
      const result = targets.get(node);
      const target = result?.targets?.[0]?.targetId;
      if (!result || result.statusCode.isNotGood() || !target) {
        this.events.nodeProblem(
          node,
          `browse path ${node.browsePath} has no match on the server (${result?.statusCode.name ?? 'no answer'}); browse the server to find the right path`,
        );
        continue;
      }
      resolved.push({ node, nodeId: resolveNodeId(target.toString()) });
    }
    return resolved;
  }

  /** Polling reads every node; those the server says do not exist are reported once and left out. */
  private async readableNodes(session: ClientSession, nodes: MonitoredNode[]): Promise<MonitoredNode[]> {
    if (nodes.length === 0) return nodes;
    const values = await withTimeout(
      session.read(nodes.map(({ nodeId }) => ({ nodeId, attributeId: AttributeIds.Value }))),
      'reading the nodes',
    );
    return nodes.filter(({ node }, i) => {
      const status = values[i]?.statusCode.name ?? '';
      if (!NODE_ERRORS.test(status)) return true;
      this.events.nodeProblem(node, `the server cannot read ${node.nodeId ?? node.browsePath}: ${status}`);
      return false;
    });
  }

  private startPolling(session: ClientSession): void {
    const nodesToRead = this.monitored.map(({ nodeId }) => ({ nodeId, attributeId: AttributeIds.Value }));
    let reading = false;
    const poll = async () => {
      if (reading || this.closed || nodesToRead.length === 0) return;
      reading = true;
      try {
        const values = await withTimeout(session.read(nodesToRead), 'a poll read');
        values.forEach((value, i) => {
          const monitored = this.monitored[i];
          if (monitored) this.events.value(monitored.node, value);
        });
      } catch (error) {
        this.breakWith(`poll read failed: ${(error as Error).message}`);
      } finally {
        reading = false;
      }
    };
    this.timers.push(setInterval(() => void poll(), this.config.pollIntervalMs));
    void poll();
  }

  private async subscribe(session: ClientSession): Promise<void> {
    const { publishingIntervalMs } = this.config;
    const subscription = await withTimeout(
      session.createSubscription2({
        requestedPublishingInterval: publishingIntervalMs,
        requestedMaxKeepAliveCount: this.config.keepAliveCount,
        // The lifetime and the dead-server deadline stay long when the keep-alive is short: a busy
        // gateway that misses a few publishes must not lose its subscription for it.
        requestedLifetimeCount: MAX_KEEP_ALIVE_COUNT * 6,
        maxNotificationsPerPublish: 0,
        publishingEnabled: true,
        priority: 1,
      }),
      'creating a subscription',
    );
    this.subscription = subscription;
    subscription.on('keepalive', () => {
      this.lastPublishAt = Date.now();
      if (this.subscription === subscription) this.events.alive();
    });
    subscription.on('received_notifications', () => {
      this.lastPublishAt = Date.now();
      // After the values this publish carries, so a changed value is not first refreshed in its old form.
      setImmediate(() => {
        if (this.subscription === subscription) this.events.alive();
      });
    });
    subscription.on('terminated', () => {
      if (this.subscription === subscription) this.breakWith('the server terminated the subscription');
    });
    subscription.on('status_changed', (status: { name: string }) => {
      if (this.subscription === subscription) this.breakWith(`subscription status changed to ${status.name}`);
    });
    this.lastDataAt = this.lastPublishAt = Date.now();

    // One request per group of identical monitoring parameters, not one per node.
    const groups = new Map<string, MonitoredNode[]>();
    for (const monitored of this.monitored) {
      const { samplingIntervalMs, queueSize, deadband } = monitored.node;
      const key = JSON.stringify([samplingIntervalMs, queueSize, deadband]);
      groups.set(key, [...(groups.get(key) ?? []), monitored]);
    }
    for (const nodes of groups.values()) await this.monitorGroup(subscription, nodes);
  }

  private async monitorGroup(subscription: ClientSubscription, nodes: MonitoredNode[]): Promise<void> {
    const { samplingIntervalMs, queueSize, deadband } = nodes[0]!.node;
    const filter = deadband
      ? new DataChangeFilter({
          trigger: DataChangeTrigger.StatusValue,
          deadbandType: deadband.type === 'absolute' ? DeadbandType.Absolute : DeadbandType.Percent,
          deadbandValue: deadband.value,
        })
      : null;
    const group = ClientMonitoredItemGroup.create(
      subscription,
      nodes.map(({ nodeId }) => ({ nodeId, attributeId: AttributeIds.Value })),
      { samplingInterval: samplingIntervalMs, queueSize, discardOldest: true, filter },
      TimestampsToReturn.Both,
    );
    group.on('changed', (_item, dataValue, index) => {
      const monitored = nodes[index];
      if (!monitored || subscription !== this.subscription) return;
      this.lastDataAt = Date.now();
      this.events.value(monitored.node, dataValue);
    });
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        group.once('initialized', () => resolve());
        group.once('err', (message: string) => reject(new Error(`monitoring failed: ${message}`)));
      }),
      'creating monitored items',
    );
    group.monitoredItems.forEach((item, i) => {
      const node = nodes[i]?.node;
      if (node && item.statusCode.isNotGood()) {
        this.events.nodeProblem(
          node,
          `the server refused to monitor ${node.nodeId ?? node.browsePath}: ${item.statusCode.name}`,
        );
      }
    });
  }

  /**
   * Two silences, two remedies. No publish response at all (not even a keep-alive) means the session
   * is gone: reconnect. Keep-alives without data past `silentAfter` is the subscription that died
   * quietly on the server: re-create it, and reconnect if that fails.
   */
  private startWatchdog(): void {
    const { publishingIntervalMs, silentAfterMs } = this.config;
    // A live server answers at least every MAX_KEEP_ALIVE_COUNT intervals; half as long again is slack.
    const keepAliveDeadlineMs = publishingIntervalMs * MAX_KEEP_ALIVE_COUNT * 1.5 + 1000;
    let recreating = false;
    const tick = async () => {
      if (recreating || this.closed || !this.session) return;
      const now = Date.now();
      if (now - this.lastPublishAt > keepAliveDeadlineMs) {
        this.breakWith(
          `no data and no keep-alive for ${((now - this.lastPublishAt) / 1000).toFixed(1)} s: the session is dead`,
        );
        return;
      }
      if (silentAfterMs === undefined || now - this.lastDataAt <= silentAfterMs) return;
      recreating = true;
      const reason = `no value for ${((now - this.lastDataAt) / 1000).toFixed(1)} s (silentAfter ${silentAfterMs / 1000} s)`;
      try {
        const old = this.subscription;
        this.subscription = undefined;
        await withTimeout(old?.terminate() ?? Promise.resolve(), 'terminating the silent subscription').catch(
          () => undefined,
        );
        await this.subscribe(this.session);
        this.events.subscriptionRecreated(reason);
      } catch (error) {
        this.breakWith(`re-creating the silent subscription failed: ${(error as Error).message}`);
      } finally {
        recreating = false;
      }
    };
    this.timers.push(setInterval(() => void tick(), WATCHDOG_TICK_MS));
  }

  /** Ends everything this connection holds; safe to call at any stage and more than once. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.breakWith('closed');
    this.timers.forEach(clearInterval);
    const session = this.session;
    const client = this.client;
    this.subscription = undefined;
    // Closing the session frees it on the server at once (PLCs allow few sessions); a server that does
    // not answer within a second is gone anyway, and waiting longer only delays the next connection.
    await withTimeout(session?.close(true) ?? Promise.resolve(), 'closing the session', 1000).catch(
      () => undefined,
    );
    await withTimeout(client?.disconnect() ?? Promise.resolve(), 'disconnecting', 1000).catch(
      () => undefined,
    );
  }
}
