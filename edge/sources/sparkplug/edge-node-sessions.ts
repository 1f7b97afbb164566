import type { Reading } from '../../../shared/schema/index.js';
import { implausibleTime, type TimeWindow } from '../plausible-time.js';
import type { SparkplugMapping } from './sparkplug-config.js';
import { numberOf, numericValue, type SparkplugMetric, type SparkplugPayload } from './sparkplug-payload.js';
import type { SparkplugTopic } from './sparkplug-topic.js';

/** What one message meant for the agent. */
export interface SessionOutcome {
  readings: Reading[];
  /** Messages or metrics that could not be used, with the reason (a rejection each). */
  problems: { reason: string; detail: string }[];
  /** Why the edge node must send its births again; undefined when it need not. */
  rebirth?: string;
  /** Names of metrics in a birth that no mapping names. */
  unmapped: string[];
}

/** A metric as its birth certificate declared it. */
interface BornMetric {
  name: string;
  datatype: string;
  mapping?: SparkplugMapping;
  /** The mapping's unit, else the birth's `engUnit` property, else `1` (a count, a state). */
  unit: string;
}

/** What a host application knows of one edge node between its NBIRTH and its NDEATH. */
interface NodeSession {
  bdSeq?: number;
  /** The seq the next NDATA/DBIRTH/DDATA/DDEATH must carry. */
  nextSeq?: number;
  /** Per device ('' for the node itself): the metrics its birth declared, by alias and by name. */
  scopes: Map<string, { byAlias: Map<number, BornMetric>; byName: Map<string, BornMetric> }>;
}

const NUMERIC = new Set([
  'Int8',
  'Int16',
  'Int32',
  'Int64',
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'Float',
  'Double',
]);

/** The Sparkplug quality property's value for good (Ignition's convention: 0 bad, 192 good, 500 stale). */
const GOOD_QUALITY = 192;

/** Metrics every node has that are not measurements. */
const isNodeHousekeeping = (name: string) =>
  name === 'bdSeq' || name.startsWith('Node Control/') || name.startsWith('Properties/');

const nodeKey = (topic: Pick<SparkplugTopic, 'group' | 'edgeNode'>) => `${topic.group}/${topic.edgeNode}`;

const emptyOutcome = (): SessionOutcome => ({ readings: [], problems: [], unmapped: [] });

/**
 * The host application's side of Sparkplug B for the edge nodes the agent reads: each node's birth
 * (which metric an alias stands for), its bdSeq and seq, and the readings its messages carry for the
 * mapped metrics. Pure: the MQTT client, the clock and the rebirth requests live in the source.
 */
export class EdgeNodeSessions {
  private readonly sessions = new Map<string, NodeSession>();

  constructor(
    private readonly map: readonly SparkplugMapping[],
    private readonly timeWindow?: TimeWindow,
  ) {}

  handle(topic: SparkplugTopic, payload: SparkplugPayload, receivedAt: number): SessionOutcome {
    switch (topic.type) {
      case 'NBIRTH':
        return this.nodeBirth(topic, payload, receivedAt);
      case 'NDEATH':
        return this.nodeDeath(topic, payload, receivedAt);
      case 'DBIRTH':
      case 'NDATA':
      case 'DDATA':
      case 'DDEATH':
        return this.inSession(topic, payload, receivedAt);
      default:
        // Commands are for the node, not for us.
        return emptyOutcome();
    }
  }

  /** `group/edgeNode` of every node alive now (births seen, no death since). */
  onlineNodes(): string[] {
    return [...this.sessions.keys()];
  }

  private nodeBirth(topic: SparkplugTopic, payload: SparkplugPayload, receivedAt: number): SessionOutcome {
    const metrics = payload.metrics ?? [];
    const bdSeq = numberOf(metrics.find((m) => m.name === 'bdSeq')?.value);
    const seq = numberOf(payload.seq);
    // A new birth replaces everything: the devices must be born again after it (spec: NBIRTH resets).
    const session: NodeSession = {
      scopes: new Map(),
      ...(bdSeq === undefined ? {} : { bdSeq }),
      ...(seq === undefined ? {} : { nextSeq: (seq + 1) % 256 }),
    };
    this.sessions.set(nodeKey(topic), session);
    return this.birth(session, topic, payload, receivedAt);
  }

  private nodeDeath(topic: SparkplugTopic, payload: SparkplugPayload, receivedAt: number): SessionOutcome {
    const session = this.sessions.get(nodeKey(topic));
    if (!session) return emptyOutcome();
    const bdSeq = numberOf(payload.metrics?.find((m) => m.name === 'bdSeq')?.value);
    // The will of an older connection, delivered after the node came back: the node is alive.
    if (bdSeq !== undefined && session.bdSeq !== undefined && bdSeq !== session.bdSeq) return emptyOutcome();
    this.sessions.delete(nodeKey(topic));
    const outcome = emptyOutcome();
    for (const scope of session.scopes.values()) outcome.readings.push(...this.silenced(scope, receivedAt));
    return outcome;
  }

  /** DBIRTH, NDATA, DDATA, DDEATH: meaningful only after the node's birth, in seq order. */
  private inSession(topic: SparkplugTopic, payload: SparkplugPayload, receivedAt: number): SessionOutcome {
    const session = this.sessions.get(nodeKey(topic));
    const where = `${topic.type} from ${topic.edgeNode}${topic.device ? `/${topic.device}` : ''}`;
    if (!session)
      return {
        ...emptyOutcome(),
        problems: [
          { reason: 'before_birth', detail: `${where} before the node's NBIRTH: asked for a rebirth` },
        ],
        rebirth: `${where} before NBIRTH`,
      };
    const gap = this.seqGap(session, payload);
    const outcome = this.inBornSession(session, topic, payload, receivedAt, where);
    if (gap && !outcome.rebirth) outcome.rebirth = `${where}: ${gap}`;
    return outcome;
  }

  private inBornSession(
    session: NodeSession,
    topic: SparkplugTopic,
    payload: SparkplugPayload,
    receivedAt: number,
    where: string,
  ): SessionOutcome {
    if (topic.type === 'DBIRTH') return this.birth(session, topic, payload, receivedAt);
    const scopeKey = topic.device ?? '';
    const scope = session.scopes.get(scopeKey);
    if (!scope) {
      if (topic.type === 'DDEATH') return emptyOutcome();
      return {
        ...emptyOutcome(),
        problems: [{ reason: 'before_birth', detail: `${where} before its DBIRTH: asked for a rebirth` }],
        rebirth: `${where} before DBIRTH`,
      };
    }
    if (topic.type === 'DDEATH') {
      session.scopes.delete(scopeKey);
      return { ...emptyOutcome(), readings: this.silenced(scope, receivedAt) };
    }
    const outcome = emptyOutcome();
    for (const metric of payload.metrics ?? []) {
      const alias = numberOf(metric.alias);
      const born =
        alias !== undefined
          ? scope.byAlias.get(alias)
          : metric.name
            ? scope.byName.get(metric.name)
            : undefined;
      if (!born) {
        const what = alias !== undefined ? `alias ${alias}` : `metric '${metric.name ?? '(no name)'}'`;
        outcome.problems.push({
          reason: 'unknown_alias',
          detail: `${where}: ${what} is not in its birth certificate: asked for a rebirth`,
        });
        outcome.rebirth = `${where}: unknown ${what}`;
        continue;
      }
      this.deliver(born, metric, payload, receivedAt, where, outcome);
    }
    return outcome;
  }

  /** NBIRTH or DBIRTH: the scope's metrics declared afresh, and their current values delivered. */
  private birth(
    session: NodeSession,
    topic: SparkplugTopic,
    payload: SparkplugPayload,
    receivedAt: number,
  ): SessionOutcome {
    const where = `${topic.type} from ${topic.edgeNode}${topic.device ? `/${topic.device}` : ''}`;
    const scope = { byAlias: new Map<number, BornMetric>(), byName: new Map<string, BornMetric>() };
    session.scopes.set(topic.device ?? '', scope);
    const outcome = emptyOutcome();
    for (const metric of payload.metrics ?? []) {
      if (!metric.name) {
        outcome.problems.push({ reason: 'bad_birth', detail: `${where}: a metric without a name` });
        continue;
      }
      const mapping = this.mappingFor(topic, metric.name);
      const born: BornMetric = {
        name: metric.name,
        datatype: metric.type,
        unit: mapping?.unit ?? engUnitOf(metric) ?? '1',
        ...(mapping ? { mapping } : {}),
      };
      scope.byName.set(metric.name, born);
      const alias = numberOf(metric.alias);
      if (alias !== undefined) scope.byAlias.set(alias, born);
      if (!mapping && !(topic.device === undefined && isNodeHousekeeping(metric.name)))
        outcome.unmapped.push(
          `${topic.group}/${topic.edgeNode}${topic.device ? `/${topic.device}` : ''}: ${metric.name}`,
        );
      this.deliver(born, metric, payload, receivedAt, where, outcome);
    }
    return outcome;
  }

  /** A bad-quality reading for each mapped metric of a scope that died: its values are no longer valid. */
  private silenced(scope: { byName: Map<string, BornMetric> }, receivedAt: number): Reading[] {
    return [...scope.byName.values()].flatMap(({ mapping, unit }) =>
      mapping ? [badReading(mapping, receivedAt, unit)] : [],
    );
  }

  private deliver(
    born: BornMetric,
    metric: SparkplugMetric,
    payload: SparkplugPayload,
    receivedAt: number,
    where: string,
    outcome: SessionOutcome,
  ): void {
    const { mapping } = born;
    if (!mapping) return;
    const { unit, datatype } = born;
    const ts = numberOf(metric.timestamp) ?? numberOf(payload.timestamp) ?? receivedAt;
    const timeProblem = implausibleTime(`timestamp of '${born.name}'`, ts, receivedAt, this.timeWindow);
    if (timeProblem) {
      outcome.problems.push({ reason: 'implausible_timestamp', detail: `${where}: ${timeProblem}` });
      return;
    }
    if (metric.value === null || metric.value === undefined || !qualityGood(metric)) {
      outcome.readings.push(badReading(mapping, ts, unit));
      return;
    }
    if (!NUMERIC.has(datatype) && datatype !== 'Boolean') {
      outcome.problems.push({
        reason: 'unsupported_datatype',
        detail: `${where}: '${born.name}' is ${datatype}; only numeric and Boolean metrics become readings`,
      });
      return;
    }
    const value = numericValue(datatype, metric.value);
    if (value === undefined || !Number.isFinite(value)) {
      outcome.readings.push(badReading(mapping, ts, unit));
      return;
    }
    outcome.readings.push({
      ts,
      assetId: mapping.assetId,
      channel: mapping.channel,
      value,
      unit,
      quality: 'good',
    });
  }

  /** Why the payload's seq is not the one expected (and the expectation moved on), or undefined. */
  private seqGap(session: NodeSession, payload: SparkplugPayload): string | undefined {
    const seq = numberOf(payload.seq);
    if (seq === undefined) return undefined;
    const expected = session.nextSeq;
    session.nextSeq = (seq + 1) % 256;
    if (expected === undefined || seq === expected) return undefined;
    return `seq ${seq} where ${expected} was due (messages lost)`;
  }

  private mappingFor(topic: SparkplugTopic, name: string): SparkplugMapping | undefined {
    return this.map.find(
      (m) =>
        m.metric === name &&
        m.edgeNode === topic.edgeNode &&
        m.device === topic.device &&
        (m.group === undefined || m.group === topic.group),
    );
  }
}

function qualityGood(metric: SparkplugMetric): boolean {
  const quality = metric.properties?.Quality ?? metric.properties?.quality;
  if (!quality) return true;
  return numberOf(quality.value) === GOOD_QUALITY;
}

function engUnitOf(metric: SparkplugMetric): string | undefined {
  const unit = metric.properties?.engUnit ?? metric.properties?.EngUnit;
  return typeof unit?.value === 'string' && unit.value.length > 0 && unit.value.length <= 32
    ? unit.value
    : undefined;
}

function badReading(mapping: SparkplugMapping, ts: number, unit: string): Reading {
  return { ts, assetId: mapping.assetId, channel: mapping.channel, value: Number.NaN, unit, quality: 'bad' };
}
