import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxEvent, Ticket } from '../../shared/schema/index.js';
import type { TelemetryPoint } from '../../shared/schema/telemetry.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { removeTempDirs, silentLogger, startTestCloud } from '../../test/helpers/stack.js';
import { sampleTicket } from '../../test/helpers/tickets.js';
import type { RunningCloud } from '../server.js';
import { deriveHealth, type HealthEvidence, STALE_AFTER_HOURS } from './asset-health.js';
import type { AssetHealth, AssetHealthReply, HealthState, PlantReply } from './plant-types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

afterAll(removeTempDirs);

describe('health derivation', () => {
  const now = Date.UTC(2026, 0, 5, 12);
  const zone = (name: 'A' | 'B' | 'C' | 'D', age = 5 * MINUTE) => ({
    zone: { zone: name, channel: 'de', ts: now - age, velocityMmS: 2 },
    lastTelemetryMs: now - age,
  });
  const table: [
    string,
    Omit<HealthEvidence, 'nowMs' | 'openTickets'> & { openTickets?: number },
    HealthState,
    string,
  ][] = [
    ['zone A, no tickets', zone('A'), 'healthy', 'ISO 20816 zone A on de (2 mm/s)'],
    ['zone B, no tickets', zone('B'), 'healthy', 'no open tickets'],
    ['zone C', zone('C'), 'watch', 'ISO 20816 zone C on de (2 mm/s)'],
    ['zone D', zone('D'), 'alarm', 'ISO 20816 zone D on de (2 mm/s)'],
    [
      'zone B with an open low ticket',
      { ...zone('B'), openTickets: 1, highestOpenSeverity: 'low' },
      'watch',
      '1 open ticket, highest low',
    ],
    [
      'zone B with a medium one',
      { ...zone('B'), openTickets: 2, highestOpenSeverity: 'medium' },
      'watch',
      '2 open tickets, highest medium',
    ],
    [
      'zone A with a high one',
      { ...zone('A'), openTickets: 1, highestOpenSeverity: 'high' },
      'alarm',
      '1 open ticket, highest high',
    ],
    [
      'zone D with a low one stays alarm',
      { ...zone('D'), openTickets: 1, highestOpenSeverity: 'low' },
      'alarm',
      '1 open ticket, highest low',
    ],
    [
      'a critical ticket, no telemetry ever',
      { openTickets: 1, highestOpenSeverity: 'critical' },
      'alarm',
      '1 open ticket, highest critical',
    ],
    [
      'a stale zone D and no tickets',
      zone('D', (STALE_AFTER_HOURS + 4) * HOUR),
      'unknown',
      `no telemetry for ${STALE_AFTER_HOURS + 4} h and no open tickets`,
    ],
    [
      'a stale zone D and a medium ticket',
      { ...zone('D', 7 * HOUR), openTickets: 1, highestOpenSeverity: 'medium' },
      'watch',
      '1 open ticket, highest medium',
    ],
    [
      'current scalar telemetry only',
      { lastTelemetryMs: now - MINUTE },
      'healthy',
      'reporting, no open tickets',
    ],
    ['nothing at all', {}, 'unknown', 'no telemetry received and no open tickets'],
    [
      'silent for three days',
      { lastTelemetryMs: now - 72 * HOUR },
      'unknown',
      'no telemetry for 3 days and no open tickets',
    ],
  ];
  it.each(table)('%s', (_what, evidence, state, reason) => {
    const health = deriveHealth({ nowMs: now, openTickets: 0, ...evidence });
    expect(health.state).toBe(state);
    expect(health.reasons).toContain(reason);
  });
});

describe.each(CLOUD_STORES)('plant overview API on %s', (kind) => {
  let cloud: RunningCloud;
  let gatewayToken: string;
  const tokens = { admin: '', anaSiteA: '' };
  const now = Date.now();
  let seq = 0;

  const api = (token: string, path: string, init: RequestInit = {}) =>
    fetch(`${cloud.url}${path}`, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${token}` },
    });
  const ingest = async (tickets: Ticket[]) => {
    const events: OutboxEvent[] = tickets.map((ticket) => ({
      gatewayId: 'gw-1',
      seq: ++seq,
      type: 'ticket.opened',
      at: new Date().toISOString(),
      ticket,
    }));
    const response = await api(gatewayToken, '/api/v1/ingest', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ gatewayId: 'gw-1', events }),
    });
    expect(response.status).toBe(200);
  };
  const telemetry = async (points: TelemetryPoint[]) => {
    const response = await api(gatewayToken, '/api/v1/telemetry', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ gatewayId: 'gw-1', points }),
    });
    expect(response.status).toBe(200);
  };
  const point = (
    assetId: string,
    channel: string,
    ago: number,
    fields: Record<string, number>,
    site = 'site-a',
  ) => ({ ts: now - ago, site, assetId, channel, fields }) satisfies TelemetryPoint;
  const plant = async (token: string, query = '') => {
    const response = await api(token, `/api/v1/plant${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as PlantReply;
  };
  const assetsOf = (reply: PlantReply): Record<string, AssetHealth> =>
    Object.fromEntries(
      reply.sites.flatMap((s) => s.areas.flatMap((a) => a.assets)).map((a) => [a.assetId, a]),
    );

  beforeAll(async () => {
    cloud = await startTestCloud({ db: await newCloudDatabase(kind), logger: silentLogger() });
    const access = cloud.store.access;
    gatewayToken = await access.createGatewayToken('gw-1', { sites: ['site-a', 'site-b'] });
    await access.createUser({ username: 'boss', role: 'admin', sites: 'all' });
    await access.createUser({ username: 'ana', role: 'viewer', sites: ['site-a'] });
    tokens.admin = await access.createApiToken('boss', 'tests');
    tokens.anaSiteA = await access.createApiToken('ana', 'tests');

    // The registry, through the import route.
    const csv = [
      'assetId,site,name,group,machineClass,channels',
      'pump-1,site-a,Cooling water pump 1,utilities,group2-rigid,de;nde',
      'fan-2,site-a,Exhaust fan,paint-shop,,de',
      'idle-7,site-a,Spare compressor,utilities,,',
      'press-9,site-b,Transfer press,stamping,,de',
    ].join('\n');
    const imported = await api(tokens.admin, '/api/v1/imports/assets', {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: csv,
    });
    expect(imported.status).toBe(200);

    await ingest([
      sampleTicket({ gatewayId: 'gw-1', site: 'site-a', assetId: 'fan-2', severity: 'critical' }),
      sampleTicket({ gatewayId: 'gw-1', site: 'site-a', assetId: 'gearbox-3', severity: 'medium' }),
      sampleTicket({ gatewayId: 'gw-1', site: 'site-b', assetId: 'press-9', severity: 'low' }),
    ]);
    await telemetry([
      // pump-1: zone D an hour ago, zone B and 2.1 mm/s now — the latest counts, not the worst.
      point('pump-1', 'de', HOUR, { velocityRmsMmS: 9.4, isoZoneIndex: 3 }),
      point('pump-1', 'de', 5 * MINUTE, { velocityRmsMmS: 2.1, isoZoneIndex: 1 }),
      point('pump-1', 'nde', 5 * MINUTE, { velocityRmsMmS: 1.2, isoZoneIndex: 0 }),
      point('compressor-5', 'de', 2 * MINUTE, { velocityRmsMmS: 5.6, isoZoneIndex: 2 }),
      point('chiller-4', 'supply-temp', 10 * HOUR, { value: 7.5 }),
      point('oven-1', 'zone1-temp', MINUTE, { value: 182.4 }),
      point('press-9', 'de', MINUTE, { velocityRmsMmS: 12.5, isoZoneIndex: 3 }, 'site-b'),
    ]);
  });
  afterAll(async () => {
    await cloud?.stop();
  });

  it('lists registered and unregistered assets as sites → areas → assets, with their health', async () => {
    const reply = await plant(tokens.admin);
    expect(
      reply.sites.map((s) => ({
        site: s.site,
        areas: s.areas.map((a) => [a.area, a.assets.map((x) => x.assetId)]),
      })),
    ).toEqual([
      {
        site: 'site-a',
        areas: [
          ['paint-shop', ['fan-2']],
          ['utilities', ['idle-7', 'pump-1']],
          ['unassigned', ['chiller-4', 'compressor-5', 'gearbox-3', 'oven-1']],
        ],
      },
      { site: 'site-b', areas: [['stamping', ['press-9']]] },
    ]);
    const assets = assetsOf(reply);
    const states = Object.fromEntries(Object.values(assets).map((a) => [a.assetId, a.state]));
    expect(states).toEqual({
      'fan-2': 'alarm',
      'idle-7': 'unknown',
      'pump-1': 'healthy',
      'chiller-4': 'unknown',
      'compressor-5': 'watch',
      'gearbox-3': 'watch',
      'oven-1': 'healthy',
      'press-9': 'alarm',
    });
    expect(reply.counts).toEqual({ alarm: 2, watch: 2, healthy: 2, unknown: 2 });
    expect(reply.staleAfterHours).toBe(STALE_AFTER_HOURS);
  });

  it('answers the latest values with their times, the registry fields and the open tickets', async () => {
    const assets = assetsOf(await plant(tokens.admin));
    const pump = assets['pump-1'];
    expect(pump).toMatchObject({
      registered: true,
      name: 'Cooling water pump 1',
      machineClass: 'group2-rigid',
      area: 'utilities',
      channels: ['de', 'nde'],
      openTickets: 0,
      velocity: { channel: 'de', valueMmS: 2.1, at: new Date(now - 5 * MINUTE).toISOString() },
      isoZone: { channel: 'de', zone: 'B', at: new Date(now - 5 * MINUTE).toISOString() },
      lastSeen: new Date(now - 5 * MINUTE).toISOString(),
    });
    expect(pump?.reasons).toEqual(['ISO 20816 zone B on de (2.1 mm/s)', 'no open tickets']);
    expect(assets['fan-2']).toMatchObject({ openTickets: 1, highestOpenSeverity: 'critical' });
    expect(assets['fan-2']?.reasons).toEqual(['1 open ticket, highest critical']);
    expect(assets['gearbox-3']).toMatchObject({ registered: false, area: 'unassigned', openTickets: 1 });
    expect(assets['oven-1']?.readings).toEqual([
      { channel: 'zone1-temp', value: 182.4, at: new Date(now - MINUTE).toISOString() },
    ]);
    expect(assets['chiller-4']?.reasons).toEqual(['no telemetry for 10 h and no open tickets']);
    expect(assets['idle-7']?.reasons).toEqual(['no telemetry received and no open tickets']);
    expect(assets['idle-7']?.lastSeen).toBeUndefined();
  });

  it('filters by health after counting, and by site', async () => {
    const alarms = await plant(tokens.admin, '?health=alarm');
    expect(Object.keys(assetsOf(alarms)).sort()).toEqual(['fan-2', 'press-9']);
    expect(alarms.counts).toEqual({ alarm: 2, watch: 2, healthy: 2, unknown: 2 });
    const siteB = await plant(tokens.admin, '?site=site-b');
    expect(Object.keys(assetsOf(siteB))).toEqual(['press-9']);
    expect(siteB.counts).toEqual({ alarm: 1, watch: 0, healthy: 0, unknown: 0 });
  });

  it('shows a user only the sites they may see', async () => {
    const ana = await plant(tokens.anaSiteA);
    expect(ana.sites.map((s) => s.site)).toEqual(['site-a']);
    expect(assetsOf(ana)['press-9']).toBeUndefined();
    expect((await plant(tokens.anaSiteA, '?site=site-b')).sites).toEqual([]);
    const hidden = await api(tokens.anaSiteA, '/api/v1/assets/press-9/health');
    expect(hidden.status).toBe(404);
  });

  it("answers one asset's health, and 404 naming an asset nobody knows", async () => {
    const response = await api(tokens.admin, '/api/v1/assets/compressor-5/health');
    expect(response.status).toBe(200);
    const body = (await response.json()) as AssetHealthReply;
    expect(body.asset).toMatchObject({
      assetId: 'compressor-5',
      state: 'watch',
      velocity: { valueMmS: 5.6 },
      isoZone: { zone: 'C' },
    });
    const missing = await api(tokens.admin, '/api/v1/assets/no-such-pump/health');
    expect(missing.status).toBe(404);
    const error = (await missing.json()) as { code: string; message: string };
    expect(error.code).toBe('PW_NO_ASSET');
    expect(error.message).toContain('no asset named no-such-pump');
  });

  it('refuses bad input naming the field, and strangers', async () => {
    const bad = await api(tokens.admin, '/api/v1/plant?health=purple');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('querystring/health');
    const badSite = await api(tokens.admin, '/api/v1/plant?site=a%20b');
    expect(badSite.status).toBe(400);
    expect(((await badSite.json()) as { message: string }).message).toContain('querystring/site');
    const badId = await api(tokens.admin, '/api/v1/assets/a%20b/health');
    expect(badId.status).toBe(400);
    expect(((await badId.json()) as { message: string }).message).toContain('params/assetId');
    expect((await fetch(`${cloud.url}/api/v1/plant`)).status).toBe(401);
  });
});
