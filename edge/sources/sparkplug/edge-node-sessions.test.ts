import sparkplugProto from 'sparkplug-payload/lib/sparkplugPayloadProto.js';
import { describe, expect, it } from 'vitest';
import { EdgeNodeSessions } from './edge-node-sessions.js';
import type { SparkplugMapping } from './sparkplug-config.js';
import { decodeSparkplug, encodeSparkplug, type SparkplugPayload } from './sparkplug-payload.js';
import { parseSparkplugTopic, type SparkplugTopic } from './sparkplug-topic.js';

const T0 = Date.parse('2026-12-01T08:00:00Z');

const MAP: SparkplugMapping[] = [
  {
    edgeNode: 'line1',
    device: 'press3',
    metric: 'Bearing/Temperature',
    assetId: 'press-3',
    channel: 'bearing_temperature',
    unit: 'degC',
  },
  { edgeNode: 'line1', device: 'press3', metric: 'Running', assetId: 'press-3', channel: 'running' },
  { edgeNode: 'line1', metric: 'Line/Speed', assetId: 'line-1', channel: 'speed' },
];

const topic = (text: string): SparkplugTopic => {
  const parsed = parseSparkplugTopic(text);
  if (typeof parsed === 'string') throw new Error(parsed);
  return parsed;
};
/** Through the real encoder and decoder, as the source receives it. */
const wire = (payload: SparkplugPayload): SparkplugPayload => decodeSparkplug(encodeSparkplug(payload));

const NBIRTH = topic('spBv1.0/plant1/NBIRTH/line1');
const DBIRTH = topic('spBv1.0/plant1/DBIRTH/line1/press3');
const DDATA = topic('spBv1.0/plant1/DDATA/line1/press3');
const NDATA = topic('spBv1.0/plant1/NDATA/line1');

const nodeBirth = (bdSeq: number, seq = 0) =>
  wire({
    timestamp: T0,
    seq,
    metrics: [
      { name: 'bdSeq', type: 'UInt64', value: bdSeq },
      { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
      { name: 'Line/Speed', alias: 1, type: 'Double', value: 1.5 },
      { name: 'Line/Recipe', alias: 2, type: 'String', value: 'A' },
    ],
  });
const deviceBirth = (seq = 1) =>
  wire({
    timestamp: T0,
    seq,
    metrics: [
      { name: 'Bearing/Temperature', alias: 10, type: 'Float', value: 61.5, timestamp: T0 - 100 },
      { name: 'Running', alias: 11, type: 'Boolean', value: true },
      { name: 'Cycles', alias: 12, type: 'Int64', value: 7 },
    ],
  });

/** A node, born, with its device born: seq 0 and 1 used. */
function bornSessions() {
  const sessions = new EdgeNodeSessions(MAP);
  sessions.handle(NBIRTH, nodeBirth(4), T0);
  sessions.handle(DBIRTH, deviceBirth(), T0);
  return sessions;
}

describe('Sparkplug edge node sessions', () => {
  it('maps birth metrics to channels, with the metric timestamp, else the payload’s; reports the unmapped once per birth', () => {
    const sessions = new EdgeNodeSessions(MAP);
    const node = sessions.handle(NBIRTH, nodeBirth(4), T0 + 5);
    expect(node.readings).toEqual([
      { ts: T0, assetId: 'line-1', channel: 'speed', value: 1.5, unit: '1', quality: 'good' },
    ]);
    expect(node.unmapped).toEqual(['plant1/line1: Line/Recipe']);
    expect(node.problems).toEqual([]);
    const device = sessions.handle(DBIRTH, deviceBirth(), T0 + 5);
    expect(device.readings).toEqual([
      {
        ts: T0 - 100,
        assetId: 'press-3',
        channel: 'bearing_temperature',
        value: 61.5,
        unit: 'degC',
        quality: 'good',
      },
      { ts: T0, assetId: 'press-3', channel: 'running', value: 1, unit: '1', quality: 'good' },
    ]);
    expect(device.unmapped).toEqual(['plant1/line1/press3: Cycles']);
    expect(device.rebirth).toBeUndefined();
    expect(sessions.onlineNodes()).toEqual(['plant1/line1']);
  });

  it('reads data by alias, also without a datatype (the birth’s), and with the time of receipt when none is given', () => {
    const sessions = bornSessions();
    const P = sparkplugProto.org.eclipse.tahu.protobuf.Payload;
    // As spec-following nodes send data: alias and value only, no name, no datatype, no timestamp.
    const bytes = P.encode(
      P.create({
        seq: 2,
        metrics: [
          { alias: 10, floatValue: 88.25 },
          { alias: 11, booleanValue: false },
        ],
      }),
    ).finish();
    const outcome = sessions.handle(DDATA, decodeSparkplug(bytes), T0 + 1000);
    expect(outcome.readings).toEqual([
      {
        ts: T0 + 1000,
        assetId: 'press-3',
        channel: 'bearing_temperature',
        value: 88.25,
        unit: 'degC',
        quality: 'good',
      },
      { ts: T0 + 1000, assetId: 'press-3', channel: 'running', value: 0, unit: '1', quality: 'good' },
    ]);
    expect(outcome.rebirth).toBeUndefined();
    expect(outcome.problems).toEqual([]);
  });

  it('makes is_null values and bad quality properties bad-quality readings', () => {
    const sessions = bornSessions();
    const outcome = sessions.handle(
      DDATA,
      wire({
        timestamp: T0,
        seq: 2,
        metrics: [
          { alias: 10, type: 'Float', value: null },
          { alias: 11, type: 'Boolean', value: true, properties: { Quality: { type: 'Int32', value: 0 } } },
        ],
      }),
      T0,
    );
    expect(outcome.readings.map((r) => [r.channel, r.quality, Number.isNaN(r.value)])).toEqual([
      ['bearing_temperature', 'bad', true],
      ['running', 'bad', true],
    ]);
  });

  it('asks for a rebirth, and drops the data, when data comes before the birth', () => {
    const sessions = new EdgeNodeSessions(MAP);
    const outcome = sessions.handle(
      DDATA,
      wire({ seq: 5, metrics: [{ alias: 10, type: 'Float', value: 1 }] }),
      T0,
    );
    expect(outcome.readings).toEqual([]);
    expect(outcome.rebirth).toContain('before NBIRTH');
    expect(outcome.problems.map((p) => p.reason)).toEqual(['before_birth']);
    // Node born, device not: the device's data cannot be placed either.
    sessions.handle(NBIRTH, nodeBirth(1), T0);
    const device = sessions.handle(
      DDATA,
      wire({ seq: 1, metrics: [{ alias: 10, type: 'Float', value: 1 }] }),
      T0,
    );
    expect(device.rebirth).toContain('before DBIRTH');
  });

  it('asks for a rebirth after a seq gap but keeps the values; 255 wraps to 0 without one', () => {
    const sessions = bornSessions();
    const gap = sessions.handle(
      NDATA,
      wire({ seq: 5, metrics: [{ alias: 1, type: 'Double', value: 2 }] }),
      T0,
    );
    expect(gap.rebirth).toBe('NDATA from line1: seq 5 where 2 was due (messages lost)');
    expect(gap.readings.map((r) => r.value)).toEqual([2]);
    expect(sessions.handle(NDATA, wire({ seq: 6, metrics: [] }), T0).rebirth).toBeUndefined();

    const wrapping = new EdgeNodeSessions(MAP);
    wrapping.handle(NBIRTH, nodeBirth(1), T0);
    for (let seq = 1; seq <= 254; seq++) wrapping.handle(NDATA, wire({ seq, metrics: [] }), T0);
    expect(wrapping.handle(NDATA, wire({ seq: 255, metrics: [] }), T0).rebirth).toBeUndefined();
    expect(wrapping.handle(NDATA, wire({ seq: 0, metrics: [] }), T0).rebirth).toBeUndefined();
    expect(wrapping.handle(NDATA, wire({ seq: 2, metrics: [] }), T0).rebirth).toContain(
      'seq 2 where 1 was due',
    );
  });

  it('rejects an alias the birth did not declare, and asks for a rebirth', () => {
    const sessions = bornSessions();
    const outcome = sessions.handle(
      DDATA,
      wire({
        seq: 2,
        metrics: [
          { alias: 99, type: 'Float', value: 1 },
          { alias: 10, type: 'Float', value: 70 },
        ],
      }),
      T0,
    );
    expect(outcome.problems).toEqual([
      {
        reason: 'unknown_alias',
        detail: 'DDATA from line1/press3: alias 99 is not in its birth certificate: asked for a rebirth',
      },
    ]);
    expect(outcome.rebirth).toContain('unknown alias 99');
    expect(outcome.readings.map((r) => r.value)).toEqual([70]);
  });

  it('makes a dead device’s channels bad quality, and a dead node’s, but ignores a stale NDEATH', () => {
    const sessions = bornSessions();
    const ddeath = sessions.handle(
      topic('spBv1.0/plant1/DDEATH/line1/press3'),
      wire({ timestamp: T0, seq: 2 }),
      T0 + 9,
    );
    // Marked as the source's silence, so that no-data rules do not take it for a silent sensor.
    expect(ddeath.readings.map((r) => [r.channel, r.quality, r.ts, r.qualityReason])).toEqual([
      ['bearing_temperature', 'bad', T0 + 9, 'device_death'],
      ['running', 'bad', T0 + 9, 'device_death'],
    ]);
    const NDEATH = topic('spBv1.0/plant1/NDEATH/line1');
    const stale = sessions.handle(
      NDEATH,
      wire({ metrics: [{ name: 'bdSeq', type: 'UInt64', value: 3 }] }),
      T0,
    );
    expect(stale.readings).toEqual([]);
    expect(sessions.onlineNodes()).toEqual(['plant1/line1']);
    const death = sessions.handle(
      NDEATH,
      wire({ metrics: [{ name: 'bdSeq', type: 'UInt64', value: 4 }] }),
      T0 + 10,
    );
    expect(death.readings.map((r) => [r.channel, r.quality, r.qualityReason])).toEqual([
      ['speed', 'bad', 'node_death'],
    ]);
    expect(sessions.onlineNodes()).toEqual([]);
  });

  it('rejects implausible timestamps and non-numeric mapped metrics, naming the metric', () => {
    const sessions = new EdgeNodeSessions([
      ...MAP,
      { edgeNode: 'line1', metric: 'Line/Recipe', assetId: 'line-1', channel: 'recipe' },
    ]);
    const outcome = sessions.handle(
      NBIRTH,
      wire({
        seq: 0,
        timestamp: T0 / 1000,
        metrics: [
          { name: 'bdSeq', type: 'UInt64', value: 0 },
          { name: 'Line/Speed', alias: 1, type: 'Double', value: 1 },
          { name: 'Line/Recipe', alias: 2, type: 'String', value: 'A', timestamp: T0 },
        ],
      }),
      T0,
    );
    expect(outcome.problems.map((p) => p.reason)).toEqual(['implausible_timestamp', 'unsupported_datatype']);
    expect(outcome.problems[0]?.detail).toContain("timestamp of 'Line/Speed'");
    expect(outcome.problems[0]?.detail).toContain('seconds since epoch');
    expect(outcome.problems[1]?.detail).toContain("'Line/Recipe' is String");
  });

  it('reads signed integers as signed', () => {
    const sessions = new EdgeNodeSessions([
      { edgeNode: 'line1', metric: 'Offset', assetId: 'line-1', channel: 'offset' },
      { edgeNode: 'line1', metric: 'Big', assetId: 'line-1', channel: 'big' },
    ]);
    const outcome = sessions.handle(
      NBIRTH,
      wire({
        seq: 0,
        timestamp: T0,
        metrics: [
          { name: 'bdSeq', type: 'UInt64', value: 0 },
          { name: 'Offset', alias: 1, type: 'Int32', value: -5 },
          { name: 'Big', alias: 2, type: 'Int64', value: -7 },
        ],
      }),
      T0,
    );
    expect(outcome.readings.map((r) => r.value)).toEqual([-5, -7]);
  });
});

describe('Sparkplug edge node sessions: bad births and bad payloads', () => {
  const P = sparkplugProto.org.eclipse.tahu.protobuf.Payload;
  const T_ON_7 = [
    { edgeNode: 'line1', device: 'press3', metric: 'T', assetId: 'press-3', channel: 't' },
  ] satisfies SparkplugMapping[];

  it('rejects a DBIRTH that gives one alias to two metrics, and asks for a rebirth; its data is then before a birth', () => {
    const sessions = new EdgeNodeSessions(T_ON_7);
    sessions.handle(NBIRTH, nodeBirth(1), T0);
    const birth = sessions.handle(
      DBIRTH,
      wire({
        seq: 1,
        timestamp: T0,
        metrics: [
          { name: 'T', alias: 7, type: 'Float', value: 20 },
          { name: 'X', alias: 7, type: 'Float', value: 99 },
        ],
      }),
      T0,
    );
    expect(birth.problems).toEqual([
      {
        reason: 'bad_birth',
        detail:
          "DBIRTH from line1/press3: alias 7 declared twice ('T' and 'X'): birth not read, asked for a rebirth",
      },
    ]);
    expect(birth.rebirth).toContain('alias 7 declared twice');
    expect(birth.readings).toEqual([]);
    const data = sessions.handle(
      DDATA,
      wire({ seq: 2, metrics: [{ alias: 7, type: 'Float', value: 21 }] }),
      T0,
    );
    expect(data.readings).toEqual([]);
    expect(data.problems.map((p) => p.reason)).toEqual(['before_birth']);
    expect(data.rebirth).toContain('before DBIRTH');
  });

  it('drops a born device whose new DBIRTH is bad: its channels go bad quality', () => {
    const sessions = bornSessions();
    const birth = sessions.handle(
      DBIRTH,
      wire({
        seq: 2,
        metrics: [
          { name: 'Bearing/Temperature', alias: 10, type: 'Float', value: 1 },
          { name: 'Running', alias: 10, type: 'Boolean', value: true },
        ],
      }),
      T0 + 5,
    );
    expect(birth.problems.map((p) => p.reason)).toEqual(['bad_birth']);
    expect(birth.readings.map((r) => [r.channel, r.quality, r.ts])).toEqual([
      ['bearing_temperature', 'bad', T0 + 5],
      ['running', 'bad', T0 + 5],
    ]);
    // The old alias 10 is no longer read.
    const data = sessions.handle(
      DDATA,
      wire({ seq: 3, metrics: [{ alias: 10, type: 'Float', value: 3 }] }),
      T0,
    );
    expect(data.readings).toEqual([]);
    expect(data.problems.map((p) => p.reason)).toEqual(['before_birth']);
  });

  it('rejects an NBIRTH without bdSeq, with seq other than 0, or with a duplicate alias; the node is then not online', () => {
    const sessions = new EdgeNodeSessions(MAP);
    const metrics = nodeBirth(1).metrics ?? [];
    const noBdSeq = sessions.handle(
      NBIRTH,
      wire({ seq: 0, metrics: metrics.filter((m) => m.name !== 'bdSeq') }),
      T0,
    );
    expect(noBdSeq.problems).toEqual([
      {
        reason: 'bad_birth',
        detail:
          'NBIRTH from line1: no bdSeq metric (its NDEATH could not be told from an older session’s): birth not read, asked for a rebirth',
      },
    ]);
    expect(noBdSeq.rebirth).toContain('no bdSeq');
    expect(noBdSeq.readings).toEqual([]);
    expect(sessions.onlineNodes()).toEqual([]);

    const seq3 = sessions.handle(NBIRTH, nodeBirth(1, 3), T0);
    expect(seq3.problems[0]?.detail).toContain('NBIRTH from line1: seq 3 where an NBIRTH has 0');
    expect(sessions.onlineNodes()).toEqual([]);

    const twice = sessions.handle(
      NBIRTH,
      wire({ seq: 0, metrics: [...metrics, { name: 'Line/Other', alias: 1, type: 'Double', value: 0 }] }),
      T0,
    );
    expect(twice.problems[0]?.detail).toContain("alias 1 declared twice ('Line/Speed' and 'Line/Other')");
    expect(sessions.onlineNodes()).toEqual([]);
    expect(sessions.handle(NDATA, wire({ seq: 1, metrics: [] }), T0).problems[0]?.reason).toBe(
      'before_birth',
    );

    // A good birth after them is read.
    expect(sessions.handle(NBIRTH, nodeBirth(1), T0).problems).toEqual([]);
    expect(sessions.onlineNodes()).toEqual(['plant1/line1']);
  });

  it('rejects as bad payloads a message without seq (an empty protobuf, the bytes 08 01), a seq above 255 and an NDEATH without bdSeq', () => {
    expect(() => decodeSparkplug(new Uint8Array())).toThrow('empty: 0 bytes');
    const sessions = bornSessions();
    const timestampOnly = sessions.handle(DDATA, decodeSparkplug(Uint8Array.from([0x08, 0x01])), T0);
    expect(timestampOnly).toEqual({
      readings: [],
      unmapped: [],
      problems: [{ reason: 'bad_payload', detail: 'DDATA from line1/press3: no seq: not read' }],
    });
    const seq300 = sessions.handle(
      DDATA,
      decodeSparkplug(P.encode(P.create({ seq: 300, metrics: [{ alias: 10, floatValue: 80 }] })).finish()),
      T0,
    );
    expect(seq300.problems).toEqual([
      { reason: 'bad_payload', detail: 'DDATA from line1/press3: seq 300 is outside 0–255: not read' },
    ]);
    expect(seq300.readings).toEqual([]);
    expect(seq300.rebirth).toBeUndefined();
    // Neither moved the seq on: the next one due is still 2.
    const next = sessions.handle(
      DDATA,
      wire({ seq: 2, metrics: [{ alias: 10, type: 'Float', value: 81 }] }),
      T0,
    );
    expect(next.rebirth).toBeUndefined();
    expect(next.readings.map((r) => r.value)).toEqual([81]);

    const NDEATH = topic('spBv1.0/plant1/NDEATH/line1');
    const death = sessions.handle(NDEATH, wire({ timestamp: T0 }), T0);
    expect(death.problems).toEqual([
      {
        reason: 'bad_payload',
        detail: 'NDEATH from line1: no bdSeq metric (cannot tell which session died): not read',
      },
    ]);
    expect(death.readings).toEqual([]);
    expect(sessions.onlineNodes()).toEqual(['plant1/line1']);
  });

  it('rejects a data value of another datatype than its birth’s (with or without a datatype), and asks for a rebirth', () => {
    const sessions = bornSessions();
    const typed = sessions.handle(
      DDATA,
      wire({
        seq: 2,
        metrics: [
          { alias: 10, type: 'String', value: '88' },
          { alias: 11, type: 'Boolean', value: true },
        ],
      }),
      T0,
    );
    expect(typed.problems).toEqual([
      {
        reason: 'datatype_mismatch',
        detail:
          "DDATA from line1/press3: 'Bearing/Temperature' came as String where its birth declared Float: not read, asked for a rebirth",
      },
    ]);
    expect(typed.readings.map((r) => r.channel)).toEqual(['running']);
    expect(typed.rebirth).toContain("'Bearing/Temperature' came as String");

    // As spec-following nodes send it: no datatype, the value in the protobuf's string field.
    const untyped = sessions.handle(
      DDATA,
      decodeSparkplug(
        P.encode(
          P.create({
            seq: 3,
            metrics: [
              { alias: 10, stringValue: '88' },
              { alias: 11, intValue: 1 },
            ],
          }),
        ).finish(),
      ),
      T0,
    );
    expect(untyped.problems.map((p) => p.detail)).toEqual([
      "DDATA from line1/press3: 'Bearing/Temperature' came as a string value where its birth declared Float: not read, asked for a rebirth",
      "DDATA from line1/press3: 'Running' came as a number value where its birth declared Boolean: not read, asked for a rebirth",
    ]);
    expect(untyped.readings).toEqual([]);
  });

  it('forgets every session on a reconnection: the nodes to ask, their channels bad quality, their data then before a birth', () => {
    const sessions = bornSessions();
    const { nodes, readings } = sessions.forgetAll(T0 + 7);
    expect(nodes).toEqual([{ group: 'plant1', edgeNode: 'line1' }]);
    expect(readings.map((r) => [r.channel, r.quality, r.ts, r.qualityReason])).toEqual([
      ['speed', 'bad', T0 + 7, 'connection_lost'],
      ['bearing_temperature', 'bad', T0 + 7, 'connection_lost'],
      ['running', 'bad', T0 + 7, 'connection_lost'],
    ]);
    expect(sessions.onlineNodes()).toEqual([]);
    // Seq lines up (2 was due), but the aliases may be another birth's: not read.
    const data = sessions.handle(
      DDATA,
      wire({ seq: 2, metrics: [{ alias: 10, type: 'Float', value: 3 }] }),
      T0,
    );
    expect(data.readings).toEqual([]);
    expect(data.problems.map((p) => p.reason)).toEqual(['before_birth']);
    expect(sessions.forgetAll(T0).nodes).toEqual([]);
  });
});

describe('Sparkplug topics', () => {
  it('parses node and device topics and says what is wrong with others', () => {
    expect(parseSparkplugTopic('spBv1.0/g/DDATA/n/d')).toEqual({
      group: 'g',
      type: 'DDATA',
      edgeNode: 'n',
      device: 'd',
    });
    expect(parseSparkplugTopic('spBv1.0/g/NDATA/n')).toEqual({ group: 'g', type: 'NDATA', edgeNode: 'n' });
    expect(parseSparkplugTopic('spBv1.0/g/NDATA/n/d')).toContain('node message');
    expect(parseSparkplugTopic('spBv1.0/g/DDATA/n')).toContain('needs a device id');
    expect(parseSparkplugTopic('spBv1.0/g/XDATA/n')).toContain("unknown Sparkplug message type 'XDATA'");
    expect(parseSparkplugTopic('plantwatch/a/b/reading')).toContain('topic must be spBv1.0/');
  });
});
