import type { QualityReason, Reading } from '../../../shared/schema/index.js';
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
  group: string;
  edgeNode: string;
  bdSeq: number;
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

/** How a message names its sender in a rejection: `DDATA from line1/press3`. */
const whereOf = (topic: SparkplugTopic) =>
  `${topic.type} from ${topic.edgeNode}${topic.device ? `/${topic.device}` : ''}`;

/** The messages that carry a seq (spec 3.0, 7.2: every one but NDEATH and the commands). */
const SEQUENCED = new Set(['NBIRTH', 'NDATA', 'DBIRTH', 'DDATA', 'DDEATH']);

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
    const defect = payloadDefect(topic, payload);
    if (defect)
      return {
        ...emptyOutcome(),
        problems: [{ reason: 'bad_payload', detail: `${whereOf(topic)}: ${defect}: not read` }],
      };
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

  /**
   * Every session forgotten, as if each node had died: the host lost its link to the broker, so a
   * death or a new birth (new aliases) may have passed unseen, and a seq that happens to line up
   * would put data into the wrong channels. The nodes that were alive, to be asked for a rebirth,
   * and a bad-quality reading for each of their mapped channels (their values are no longer known).
   */
  forgetAll(receivedAt: number): { nodes: { group: string; edgeNode: string }[]; readings: Reading[] } {
    const nodes = [...this.sessions.values()].map(({ group, edgeNode }) => ({ group, edgeNode }));
    const readings = [...this.sessions.values()].flatMap((session) =>
      [...session.scopes.values()].flatMap((scope) => this.silenced(scope, receivedAt, 'connection_lost')),
    );
    this.sessions.clear();
    return { nodes, readings };
  }

  private nodeBirth(topic: SparkplugTopic, payload: SparkplugPayload, receivedAt: number): SessionOutcome {
    const key = nodeKey(topic);
    const previous = this.sessions.get(key);
    // A new birth replaces everything: the devices must be born again after it (spec: NBIRTH resets).
    this.sessions.delete(key);
    const defect = nodeBirthDefect(payload);
    if (defect)
      return this.badBirth(topic, defect, previous ? [...previous.scopes.values()] : [], receivedAt);
    const session: NodeSession = {
      group: topic.group,
      edgeNode: topic.edgeNode,
      scopes: new Map(),
      // nodeBirthDefect made sure it is there.
      bdSeq: numberOf(payload.metrics?.find((m) => m.name === 'bdSeq')?.value) ?? 0,
      nextSeq: 1,
    };
    this.sessions.set(key, session);
    return this.birth(session, topic, payload, receivedAt);
  }

  /**
   * A birth the agent cannot read: what the scope (node or device) had before is dropped, its
   * channels bad quality until a good birth comes, and the node asked for one.
   */
  private badBirth(
    topic: SparkplugTopic,
    defect: string,
    dropped: { byName: Map<string, BornMetric> }[],
    receivedAt: number,
  ): SessionOutcome {
    const where = whereOf(topic);
    return {
      ...emptyOutcome(),
      readings: dropped.flatMap((scope) => this.silenced(scope, receivedAt)),
      problems: [{ reason: 'bad_birth', detail: `${where}: ${defect}: birth not read, asked for a rebirth` }],
      rebirth: `${where}: ${defect}`,
    };
  }

  private nodeDeath(topic: SparkplugTopic, payload: SparkplugPayload, receivedAt: number): SessionOutcome {
    const session = this.sessions.get(nodeKey(topic));
    if (!session) return emptyOutcome();
    const bdSeq = numberOf(payload.metrics?.find((m) => m.name === 'bdSeq')?.value);
    // The will of an older connection, delivered after the node came back: the node is alive.
    if (bdSeq !== session.bdSeq) return emptyOutcome();
    this.sessions.delete(nodeKey(topic));
    const outcome = emptyOutcome();
    for (const scope of session.scopes.values())
      outcome.readings.push(...this.silenced(scope, receivedAt, 'node_death'));
    return outcome;
  }

  /** DBIRTH, NDATA, DDATA, DDEATH: meaningful only after the node's birth, in seq order. */
  private inSession(topic: SparkplugTopic, payload: SparkplugPayload, receivedAt: number): SessionOutcome {
    const session = this.sessions.get(nodeKey(topic));
    const where = whereOf(topic);
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
    const scopeKey = topic.device ?? '';
    if (topic.type === 'DBIRTH') {
      const defect = duplicateAlias(payload);
      if (!defect) return this.birth(session, topic, payload, receivedAt);
      const previous = session.scopes.get(scopeKey);
      session.scopes.delete(scopeKey);
      return this.badBirth(topic, defect, previous ? [previous] : [], receivedAt);
    }
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
      return { ...emptyOutcome(), readings: this.silenced(scope, receivedAt, 'device_death') };
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
    const where = whereOf(topic);
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

  /**
   * A bad-quality reading for each mapped metric of a scope that died or was dropped: its values
   * are no longer valid. With an offline reason (a death, the host's lost link) the rules take the
   * silence that follows as the source's, not as a silent sensor (edge/rules/source-offline.ts).
   */
  private silenced(
    scope: { byName: Map<string, BornMetric> },
    receivedAt: number,
    offline?: QualityReason,
  ): Reading[] {
    return [...scope.byName.values()].flatMap(({ mapping, unit }) =>
      mapping ? [badReading(mapping, receivedAt, unit, offline)] : [],
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
    const mismatch = datatypeMismatch(born, metric);
    if (mismatch) {
      outcome.problems.push({
        reason: 'datatype_mismatch',
        detail: `${where}: ${mismatch}: not read, asked for a rebirth`,
      });
      outcome.rebirth = `${where}: ${mismatch}`;
      return;
    }
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
    // handle() made sure the seq is there and in 0–255.
    const seq = numberOf(payload.seq) ?? 0;
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

function badReading(
  mapping: SparkplugMapping,
  ts: number,
  unit: string,
  qualityReason?: QualityReason,
): Reading {
  return {
    ts,
    assetId: mapping.assetId,
    channel: mapping.channel,
    value: Number.NaN,
    unit,
    quality: 'bad',
    ...(qualityReason ? { qualityReason } : {}),
  };
}

/**
 * Why the payload is not a Sparkplug B message of its type, or undefined: a message that carries a
 * seq must have one in 0–255 (spec 3.0, 7.2; a larger one is no gap but a broken sender), an NDEATH
 * its bdSeq (7.1, without it a late will of an older session would kill the current one).
 */
function payloadDefect(topic: SparkplugTopic, payload: SparkplugPayload): string | undefined {
  if (SEQUENCED.has(topic.type)) {
    const seq = numberOf(payload.seq);
    if (seq === undefined) return 'no seq';
    if (!Number.isInteger(seq) || seq < 0 || seq > 255) return `seq ${seq} is outside 0–255`;
  }
  if (
    topic.type === 'NDEATH' &&
    numberOf(payload.metrics?.find((m) => m.name === 'bdSeq')?.value) === undefined
  )
    return 'no bdSeq metric (cannot tell which session died)';
  return undefined;
}

/**
 * Why an NBIRTH cannot start a session, or undefined: it must carry the bdSeq its NDEATH will carry
 * (spec 3.0, 7.1; without it any NDEATH, however old, would end the session), seq 0 (7.2) and one
 * alias per metric.
 */
function nodeBirthDefect(payload: SparkplugPayload): string | undefined {
  const bdSeqMetric = payload.metrics?.find((m) => m.name === 'bdSeq');
  if (!bdSeqMetric) return 'no bdSeq metric (its NDEATH could not be told from an older session’s)';
  if (numberOf(bdSeqMetric.value) === undefined) return 'its bdSeq metric has no numeric value';
  // handle() made sure the seq is there.
  const seq = numberOf(payload.seq);
  if (seq !== 0) return `seq ${seq} where an NBIRTH has 0`;
  return duplicateAlias(payload);
}

/** A birth that gives one alias to two metrics: data by that alias could be neither's. */
function duplicateAlias(payload: SparkplugPayload): string | undefined {
  const names = new Map<number, string>();
  for (const metric of payload.metrics ?? []) {
    const alias = numberOf(metric.alias);
    if (alias === undefined) continue;
    const first = names.get(alias);
    if (first !== undefined)
      return `alias ${alias} declared twice ('${first}' and '${metric.name ?? '(no name)'}')`;
    names.set(alias, metric.name ?? '(no name)');
  }
  return undefined;
}

/**
 * Why a data metric's value is not of the datatype its birth declared (spec 3.0, 6.4.16: it cannot
 * change within a session), or undefined. Without a datatype, the value's protobuf field tells.
 */
function datatypeMismatch(born: BornMetric, metric: SparkplugMetric): string | undefined {
  const declared = `its birth declared ${born.datatype}`;
  if (metric.type !== undefined)
    return metric.type === born.datatype
      ? undefined
      : `'${born.name}' came as ${metric.type} where ${declared}`;
  const { value } = metric;
  if (value === null || value === undefined) return undefined;
  const fits = NUMERIC.has(born.datatype)
    ? typeof value === 'number' || numberOf(value) !== undefined
    : born.datatype === 'Boolean'
      ? typeof value === 'boolean'
      : true;
  if (fits) return undefined;
  const kind = value instanceof Uint8Array ? 'bytes' : typeof value;
  return `'${born.name}' came as a ${kind} value where ${declared}`;
}
