import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resolveCmmsSettings } from './cmms-config.js';
import type { CmmsStatus } from './cmms-service.js';
import { CSV_COLUMNS } from './csv-export.js';
import { toWorkOrder } from './work-order.js';
import type { RunningCloud } from '../server.js';
import { type CloudConfig, loadCloudConfig } from '../config/cloud-config.js';
import type { TicketDetail, TicketView, WorkOrderLink } from '../../shared/schema/index.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { cloudFetch } from '../../test/helpers/cloud-client.js';
import { type HttpReceiver, startHttpReceiver } from '../../test/helpers/http-receiver.js';
import {
  capturingLogger,
  removeTempDirs,
  startTestCloud,
  tempDir,
  waitFor,
} from '../../test/helpers/stack.js';
import { openTicket, sampleTicket } from '../../test/helpers/tickets.js';

const SECRET = 'cmms-secret-token-4711';

const restConfig = (
  receiver: HttpReceiver,
  extra: Partial<NonNullable<CloudConfig['cmms']>> = {},
): CloudConfig => ({
  publicUrl: 'https://plantwatch.example',
  cmms: {
    rest: {
      url: `${receiver.url}/api/workorders`,
      headers: { Authorization: `Bearer ${SECRET}` },
      fields: {
        assetnum: 'assetId',
        description: 'title',
        longdescription: 'description',
        wopriority: 'priority',
        targcompdate: 'dueDate',
        problemcode: 'problemCode',
        siteid: 'site',
        worktype: '=PdM',
      },
      idPath: 'data.workOrderId',
      linkTemplate: 'https://cmms.example/wo/{id}',
      timeout: '5s',
    },
    ...extra,
  },
});

/** restConfig with `rest.update`: the Maximo-like PATCH of the work order's status. */
const syncConfig = (
  receiver: HttpReceiver,
  extra: Partial<NonNullable<CloudConfig['cmms']>> = {},
): CloudConfig => {
  const base = restConfig(receiver, extra);
  return {
    ...base,
    cmms: {
      ...base.cmms,
      mapping: { failureCodes: { outer_race: 'BRG-OR-FAIL' } },
      rest: {
        ...base.cmms!.rest!,
        update: {
          urlTemplate: `${receiver.url}/api/workorders/{id}`,
          fields: {
            status: 'cmmsStatus',
            failurecode: 'failureCode',
            remarks: 'note',
            actfinish: 'completedAt',
            wonum: 'externalId',
            source: '=plantwatch',
          },
        },
      },
    },
  };
};

/** Creates work orders WO-1001… on POST, takes every update. */
const acceptWorkOrdersAndUpdates = (receiver: HttpReceiver) => {
  let created = 0;
  receiver.respond = (request) =>
    request.method === 'POST'
      ? { status: 201, body: { data: { workOrderId: `WO-${1001 + created++}` } } }
      : { status: 200, body: {} };
};

const RESOLVE = {
  to: 'resolved',
  confirmActive: true,
  feedback: { outcome: 'confirmed', failureMode: 'outer_race', actionTaken: 'replaced DE bearing' },
};

/** The sample config of cloud/cmms/README.md: the documentation must stay true. */
const SAMPLE_CONFIG = /```yaml\n([\s\S]*?)```/.exec(readFileSync('cloud/cmms/README.md', 'utf8'))![1]!;

const acceptWorkOrders = (receiver: HttpReceiver) => {
  receiver.respond = (_request, index) => ({
    status: 201,
    body: { data: { workOrderId: `WO-${1001 + index}` } },
  });
};

/** `<ticket>:<status>:<cursor>` without the cursor, which differs per change. */
const withoutCursor = (key: unknown): string => String(key).replace(/:[0-9]+$/, '');

describe('work-order mapping', () => {
  const settings = resolveCmmsSettings({});
  const view = (overrides: Partial<TicketView> = {}): TicketView => ({
    ...sampleTicket({ fault: 'outer_race', severity: 'critical', title: 'pump-1: BPFO' }),
    dueAt: '2026-11-25T08:00:00.000Z',
    overdue: false,
    ...overrides,
  });

  it('maps severity to priority, fault to problem code, the due date, and writes the evidence into the description', () => {
    const order = toWorkOrder(view(), {
      mapping: settings.mapping,
      evidenceUrl: 'https://pw.example/#/tickets/X',
      assetName: 'Cooling water pump 1',
    });
    expect(order).toMatchObject({
      assetId: 'pump-1',
      assetName: 'Cooling water pump 1',
      priority: 1,
      problemCode: 'BRG-OR',
      dueDate: '2026-11-25T08:00:00.000Z',
      severity: 'critical',
      evidenceUrl: 'https://pw.example/#/tickets/X',
    });
    expect(order).not.toHaveProperty('failureCode');
    expect(order.description).toContain('Evidence: https://pw.example/#/tickets/X');
    expect(order.description).toContain('velocityRmsMmS = 6.1 mm/s (threshold > 4.5 mm/s)');
    expect(order.description).toContain('Suggested action: SOP-VIB-01');
    expect(order.description).toContain('Rule: velocity-rms-zone-d@0123456789abcdef');
    expect(order.description.startsWith('pump-1: BPFO\n')).toBe(true);
  });

  it('takes a configured mapping, and the failure code from a resolved ticket’s close-out', () => {
    const custom = resolveCmmsSettings({
      mapping: {
        priority: { low: 'LOW' },
        problemCodes: { threshold: 'VIB-HI' },
        failureCodes: { outer_race: 'BRG-FAIL' },
      },
    });
    const resolved = view({
      severity: 'low',
      fault: 'threshold',
      status: 'resolved',
      closeOut: { outcome: 'confirmed', failureMode: 'outer_race', actionTaken: 'replaced DE bearing' },
    });
    const order = toWorkOrder(resolved, { mapping: custom.mapping, evidenceUrl: 'x' });
    expect(order).toMatchObject({ priority: 'LOW', problemCode: 'VIB-HI', failureCode: 'BRG-FAIL' });
    // The defaults still hold for what the config leaves out.
    expect(custom.mapping.priority.critical).toBe(1);
    expect(custom.mapping.problemCodes.cage).toBe('BRG-CG');
  });

  it('reads the documented sample config, the token from the environment', () => {
    const path = join(tempDir(), 'cloud.yaml');
    writeFileSync(path, SAMPLE_CONFIG);
    process.env.CMMS_TOKEN = 'from-env';
    try {
      const settings = resolveCmmsSettings(loadCloudConfig(path).cmms);
      expect(settings.exportOn).toBe('acknowledged');
      expect(settings.rest).toMatchObject({
        headers: { Authorization: 'Bearer from-env' },
        idPath: 'data.workOrderId',
        timeoutMs: 10_000,
      });
      expect(settings.rest?.fields?.worktype).toBe('=PdM');
      expect(settings.mapping.problemCodes.threshold).toBe('VIB-HI');
      expect(settings.mapping.problemCodes.outer_race).toBe('BRG-OR');
      expect(settings.mapping.failureCodes.outer_race).toBe('BRG-FAIL');
      expect(settings.mapping.priority.critical).toBe(1);
      expect(settings.rest?.update).toEqual({
        method: 'PATCH',
        urlTemplate: 'https://cmms.example/api/workorders/{id}',
        fields: {
          status: 'cmmsStatus',
          failurecode: 'failureCode',
          remarks: 'note',
          actfinish: 'completedAt',
        },
      });
      expect(settings.sync.on).toEqual(['resolved', 'closed', 'false_positive', 'duplicate']);
      expect(settings.sync.statusMap).toMatchObject({ resolved: 'COMP', closed: 'CLOSE', duplicate: 'CAN' });
    } finally {
      delete process.env.CMMS_TOKEN;
    }
  });

  it('rejects a field mapping to something that is not a work-order field, and exportOn without a connector', () => {
    expect(() =>
      resolveCmmsSettings({ rest: { url: 'https://cmms.example', fields: { assetnum: 'asset' } } }),
    ).toThrow("cmms.rest.fields.assetnum: 'asset' is not a work-order field");
    expect(() => resolveCmmsSettings({ exportOn: 'acknowledged' })).toThrow('cmms.exportOn');
    expect(() =>
      resolveCmmsSettings({
        rest: { url: 'https://cmms.example', update: { fields: { status: 'ticketStatus' } } },
      }),
    ).toThrow("cmms.rest.update.fields.status: 'ticketStatus' is not an update field");
  });

  it('defaults sync to the final statuses with Maximo’s status words, and the update to PATCH <url>/{id}', () => {
    const defaults = resolveCmmsSettings({ rest: { url: 'https://cmms.example/api/wo/', update: {} } });
    expect(defaults.sync).toEqual({
      on: ['resolved', 'closed', 'false_positive', 'duplicate'],
      statusMap: {
        acknowledged: 'APPR',
        in_progress: 'INPRG',
        resolved: 'COMP',
        closed: 'CLOSE',
        false_positive: 'CAN',
        duplicate: 'CAN',
      },
    });
    expect(defaults.rest?.update).toEqual({
      method: 'PATCH',
      urlTemplate: 'https://cmms.example/api/wo/{id}',
    });
    expect(resolveCmmsSettings({ rest: { url: 'https://cmms.example' } }).rest?.update).toBeUndefined();
    const custom = resolveCmmsSettings({
      sync: { on: ['in_progress', 'closed'], statusMap: { closed: 'DONE' } },
    });
    expect(custom.sync.on).toEqual(['in_progress', 'closed']);
    expect(custom.sync.statusMap).toMatchObject({ closed: 'DONE', resolved: 'COMP' });
  });
});

describe.each(CLOUD_STORES)('CMMS export on %s', (kind) => {
  const receivers: HttpReceiver[] = [];
  const clouds: RunningCloud[] = [];

  const start = async (config: CloudConfig, logger = capturingLogger().logger) => {
    const cloud = await startTestCloud({ db: await newCloudDatabase(kind), config, logger });
    clouds.push(cloud);
    return cloud;
  };
  const cmms = async () => {
    const receiver = await startHttpReceiver();
    receivers.push(receiver);
    acceptWorkOrders(receiver);
    return receiver;
  };
  const exportTicket = (cloud: RunningCloud, id: string) =>
    cloudFetch(cloud, `/api/v1/tickets/${id}/work-order`, { method: 'POST' });
  const detail = async (cloud: RunningCloud, id: string) =>
    (await (await cloudFetch(cloud, `/api/v1/tickets/${id}`)).json()) as TicketDetail;

  afterEach(async () => {
    for (const cloud of clouds.splice(0)) await cloud.stop();
    for (const receiver of receivers.splice(0)) await receiver.close();
  });
  afterAll(removeTempDirs);

  describe('manual export', () => {
    let cloud: RunningCloud;
    let receiver: HttpReceiver;
    let logs: ReturnType<typeof capturingLogger>;

    beforeAll(async () => {
      receiver = await startHttpReceiver();
      acceptWorkOrders(receiver);
      logs = capturingLogger();
      cloud = await startTestCloud({
        db: await newCloudDatabase(kind),
        config: restConfig(receiver),
        logger: logs.logger,
      });
      await cloud.store.database.run(
        'INSERT INTO assets (asset_id, site, name, updated_at) VALUES (?, ?, ?, ?)',
        ['pump-7', 'site-a', 'Cooling water pump 7', new Date().toISOString()],
      );
    });
    afterAll(async () => {
      await cloud.stop();
      await receiver.close();
    });

    it('POSTs the mapped fields with the auth header and Idempotency-Key, and stores the id back once', async () => {
      receiver.requests.length = 0;
      acceptWorkOrders(receiver);
      const ticket = await openTicket(cloud.store, {
        assetId: 'pump-7',
        fault: 'unbalance',
        severity: 'high',
      });

      const first = await exportTicket(cloud, ticket.id);
      expect(first.status).toBe(201);
      expect((await first.json()) as WorkOrderLink).toMatchObject({
        system: 'rest',
        externalId: 'WO-1001',
        url: 'https://cmms.example/wo/WO-1001',
      });

      expect(receiver.requests).toHaveLength(1);
      const sent = receiver.requests[0]!;
      expect(sent.method).toBe('POST');
      expect(sent.path).toBe('/api/workorders');
      expect(sent.headers.authorization).toBe(`Bearer ${SECRET}`);
      expect(sent.headers['idempotency-key']).toBe(ticket.id);
      const body = JSON.parse(sent.body) as Record<string, unknown>;
      expect(body).toMatchObject({
        assetnum: 'pump-7',
        description: ticket.title,
        wopriority: 2,
        problemcode: 'VIB-UNB',
        siteid: 'site-a',
        worktype: 'PdM',
      });
      expect(typeof body.targcompdate).toBe('string');
      expect(body.longdescription).toContain(`https://plantwatch.example/#/tickets/${ticket.id}`);
      expect(body.longdescription).toContain('velocityRmsMmS = 6.1 mm/s (threshold > 4.5 mm/s)');

      const stored = await detail(cloud, ticket.id);
      expect(stored.workOrder).toMatchObject({ system: 'rest', externalId: 'WO-1001' });
      expect(stored.audit.some((a) => a.action === 'work_order' && a.detail.externalId === 'WO-1001')).toBe(
        true,
      );
      const changes = await cloud.store.changes.read({
        after: '0',
        limit: 1000,
        types: ['ticket.work_order_linked'],
      });
      expect(changes.changes.map((c) => c.ticket.workOrderId)).toContain('WO-1001');

      // Again: the stored link, and nothing sent to the CMMS.
      const second = await exportTicket(cloud, ticket.id);
      expect(second.status).toBe(200);
      expect(((await second.json()) as WorkOrderLink).externalId).toBe('WO-1001');
      expect(receiver.requests).toHaveLength(1);

      // The token went to the CMMS but never into the log.
      expect(JSON.stringify(logs.lines())).not.toContain(SECRET);
      expect(
        logs.lines().some((l) => l.msg === 'ticket.work_order_linked' && l.externalId === 'WO-1001'),
      ).toBe(true);
    });

    it('sends one work order for concurrent exports of the same ticket', async () => {
      receiver.requests.length = 0;
      receiver.respond = () => ({ status: 201, body: { data: { workOrderId: 'WO-2001' } } });
      const ticket = await openTicket(cloud.store);
      const replies = await Promise.all([exportTicket(cloud, ticket.id), exportTicket(cloud, ticket.id)]);
      const links = (await Promise.all(replies.map((r) => r.json()))) as WorkOrderLink[];
      expect(receiver.requests).toHaveLength(1);
      expect(links.map((l) => l.externalId)).toEqual(['WO-2001', 'WO-2001']);
    });

    it('answers 502 with the CMMS status and stores nothing when the CMMS fails', async () => {
      receiver.requests.length = 0;
      receiver.respond = () => ({ status: 500, body: { error: 'database locked' } });
      const ticket = await openTicket(cloud.store);
      const reply = await exportTicket(cloud, ticket.id);
      expect(reply.status).toBe(502);
      const problem = (await reply.json()) as { code: string; message: string };
      expect(problem.code).toBe('PW_CMMS_FAILED');
      expect(problem.message).toContain('500');
      expect(problem.message).toContain('database locked');
      expect((await detail(cloud, ticket.id)).workOrder).toBeUndefined();
    });

    it('names idPath when the reply does not hold the id', async () => {
      receiver.respond = () => ({ status: 200, body: { id: 'WO-9' } });
      const ticket = await openTicket(cloud.store);
      const reply = await exportTicket(cloud, ticket.id);
      expect(reply.status).toBe(502);
      expect(((await reply.json()) as { message: string }).message).toContain(
        'the CMMS reply has no data.workOrderId; set cmms.rest.idPath',
      );
    });

    it('answers 404 for a ticket that does not exist', async () => {
      const reply = await exportTicket(cloud, '01ARZ3NDEKTSV4RRFFQ69G5FAV');
      expect(reply.status).toBe(404);
    });
  });

  it('exports on acknowledgement, retrying while the CMMS fails', async () => {
    const receiver = await cmms();
    const cloud = await start(
      restConfig(receiver, { exportOn: 'acknowledged', retry: { initial: '20ms', max: '50ms' } }),
    );
    // Three failures, then the CMMS takes it.
    receiver.respond = (_request, index) =>
      index < 3
        ? { status: 503, body: { error: 'maintenance' } }
        : { status: 201, body: { data: { workOrderId: 'WO-1001' } } };
    const ticket = await openTicket(cloud.store);
    const untouched = await openTicket(cloud.store);
    await cloud.modules.idle();
    expect(receiver.requests).toHaveLength(0);

    const ack = await cloudFetch(cloud, `/api/v1/tickets/${ticket.id}/transitions`, {
      method: 'POST',
      body: JSON.stringify({ to: 'acknowledged' }),
    });
    expect(ack.status).toBe(200);
    await cloud.modules.idle();

    expect(receiver.requests.map((r) => r.status)).toEqual([503, 503, 503, 201]);
    expect(new Set(receiver.requests.map((r) => r.headers['idempotency-key']))).toEqual(new Set([ticket.id]));
    const stored = await detail(cloud, ticket.id);
    expect(stored.workOrder).toMatchObject({ externalId: 'WO-1001', system: 'rest' });
    expect(stored.audit.find((a) => a.action === 'work_order')?.actor).toBe('cmms');
    expect((await detail(cloud, untouched.id)).workOrder).toBeUndefined();

    // Moving on to in_progress does not export again.
    await cloudFetch(cloud, `/api/v1/tickets/${ticket.id}/transitions`, {
      method: 'POST',
      body: JSON.stringify({ to: 'in_progress' }),
    });
    await cloud.modules.idle();
    expect(receiver.requests).toHaveLength(4);
  });

  it('exports on opening, but not a historical ticket', async () => {
    const receiver = await cmms();
    const cloud = await start(
      restConfig(receiver, { exportOn: 'opened', retry: { initial: '20ms', max: '50ms' } }),
    );
    const long = new Date(Date.now() - 3 * 3_600_000).toISOString();
    const historical = await openTicket(cloud.store, { firstSeen: long, lastSeen: long });
    const fresh = await openTicket(cloud.store);
    await cloud.modules.idle();
    expect(receiver.requests.map((r) => r.headers['idempotency-key'])).toEqual([fresh.id]);
    await waitFor(async () => (await cloud.store.review.get(fresh.id))?.workOrder, 'the stored work order');
    expect((await cloud.store.review.get(historical.id))?.historical).toBe(true);
    expect((await cloud.store.review.get(historical.id))?.workOrder).toBeUndefined();
  });

  it('answers 409 naming what to configure without a connector, and stores an id given back by PUT', async () => {
    const cloud = await start({});
    const ticket = await openTicket(cloud.store);
    const reply = await exportTicket(cloud, ticket.id);
    expect(reply.status).toBe(409);
    const problem = (await reply.json()) as { code: string; message: string };
    expect(problem.code).toBe('PW_NO_CMMS');
    expect(problem.message).toContain('cmms.rest');

    const put = await cloudFetch(cloud, `/api/v1/tickets/${ticket.id}/work-order`, {
      method: 'PUT',
      body: JSON.stringify({ system: 'csv', externalId: 'MX-77', url: 'https://cmms.example/wo/MX-77' }),
    });
    expect(put.status).toBe(200);
    const stored = await detail(cloud, ticket.id);
    expect(stored.workOrder).toMatchObject({ system: 'csv', externalId: 'MX-77' });
    expect(stored.audit.some((a) => a.action === 'work_order' && a.detail.externalId === 'MX-77')).toBe(true);
    // With a stored order, export is a no-op even without a connector.
    expect((await exportTicket(cloud, ticket.id)).status).toBe(200);
  });

  it('exports CSV that parses back, quoted, with only the sites the user may see', async () => {
    const cloud = await start({ publicUrl: 'https://plantwatch.example' });
    const awkward = await openTicket(cloud.store, {
      site: 'site-a',
      title: 'pump-1: "BPFO" at 4x, rising',
      summary: 'line one, with a comma\nline two "quoted"',
      fault: 'outer_race',
    });
    const plain = await openTicket(cloud.store, { site: 'site-a', assetId: 'fan-2' });
    await cloud.store.database.run(
      'INSERT INTO assets (asset_id, site, name, updated_at) VALUES (?, ?, ?, ?)',
      ['fan-2', 'site-a', 'Cooling tower fan 2', new Date().toISOString()],
    );
    const other = await openTicket(cloud.store, { site: 'site-b', assetId: 'fan-9', severity: 'low' });
    await cloud.store.review.linkWorkOrder(plain.id, 'test', {
      system: 'csv',
      externalId: 'MX-5',
      linkedAt: new Date().toISOString(),
    });
    await cloud.store.review.transition(other.id, 'test', { to: 'false_positive' });

    const reply = await cloudFetch(cloud, '/api/v1/work-orders.csv');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(reply.headers.get('content-disposition')).toBe(
      'attachment; filename="plantwatch-work-orders.csv"',
    );
    const text = await reply.text();
    const header = parse(text, { to_line: 1 }) as string[][];
    expect(header[0]).toEqual([...CSV_COLUMNS]);
    expect(header[0]).toContain('ticketId');
    expect(header[0]).toContain('externalId');
    const rows = parse(text, { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.ticketId).sort()).toEqual([awkward.id, plain.id, other.id].sort());
    const awkwardRow = rows.find((r) => r.ticketId === awkward.id)!;
    expect(awkwardRow.title).toBe('pump-1: "BPFO" at 4x, rising');
    expect(awkwardRow.description).toContain('line one, with a comma\nline two "quoted"');
    expect(awkwardRow.problemCode).toBe('BRG-OR');
    expect(awkwardRow.externalId).toBe('');
    expect(awkwardRow.evidenceUrl).toBe(`https://plantwatch.example/#/tickets/${awkward.id}`);
    expect(rows.find((r) => r.ticketId === plain.id)).toMatchObject({
      externalId: 'MX-5',
      assetName: 'Cooling tower fan 2',
      priority: '2',
    });
    expect(awkwardRow.assetName).toBe('');
    // The quoting is RFC 4180: quotes doubled inside a quoted field.
    expect(text).toContain('"pump-1: ""BPFO"" at 4x, rising"');

    const open = parse(await (await cloudFetch(cloud, '/api/v1/work-orders.csv?status=open')).text(), {
      columns: true,
    }) as Record<string, string>[];
    expect(open.map((r) => r.ticketId).sort()).toEqual([awkward.id, plain.id].sort());

    const future = await (await cloudFetch(cloud, '/api/v1/work-orders.csv?from=2100-01-01')).text();
    expect(parse(future, { columns: true })).toHaveLength(0);
    expect((await cloudFetch(cloud, '/api/v1/work-orders.csv?from=2026-02-31')).status).toBe(400);

    await cloud.store.access.createUser({ username: 'viewer-b', role: 'viewer', sites: ['site-b'] });
    const token = await cloud.store.access.createApiToken('viewer-b', 'tests');
    const asViewer = (path: string) =>
      fetch(`${cloud.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const viewerRows = parse(await (await asViewer('/api/v1/work-orders.csv')).text(), {
      columns: true,
    }) as Record<string, string>[];
    expect(viewerRows.map((r) => r.ticketId)).toEqual([other.id]);
    const askedForA = parse(await (await asViewer('/api/v1/work-orders.csv?site=site-a')).text(), {
      columns: true,
    }) as Record<string, string>[];
    expect(askedForA).toHaveLength(0);
    // A viewer may not create work orders, and a ticket of a site they cannot see does not exist for them.
    const post = (id: string) =>
      fetch(`${cloud.url}/api/v1/tickets/${id}/work-order`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      });
    expect((await post(other.id)).status).toBe(403);
  });

  describe('work-order sync', () => {
    const transition = async (cloud: RunningCloud, id: string, body: unknown) => {
      const reply = await cloudFetch(cloud, `/api/v1/tickets/${id}/transitions`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      expect(reply.status).toBe(200);
    };
    const status = async (cloud: RunningCloud) => {
      const reply = await cloudFetch(cloud, '/api/v1/cmms/status');
      expect(reply.status).toBe(200);
      return (await reply.json()) as CmmsStatus;
    };
    const updates = (receiver: HttpReceiver) => receiver.requests.filter((r) => r.method !== 'POST');
    const body = (request: { body: string }) => JSON.parse(request.body) as Record<string, unknown>;

    it('PATCHes the work order with COMP, the failure code and the action on resolve, then CLOSE on close', async () => {
      const receiver = await cmms();
      acceptWorkOrdersAndUpdates(receiver);
      const cloud = await start(syncConfig(receiver));
      const ticket = await openTicket(cloud.store, { fault: 'outer_race' });
      expect((await exportTicket(cloud, ticket.id)).status).toBe(201);

      await transition(cloud, ticket.id, { to: 'acknowledged' });
      await transition(cloud, ticket.id, RESOLVE);
      await cloud.modules.idle();
      // acknowledged is not in sync.on (default): only the resolve is sent.
      expect(updates(receiver)).toHaveLength(1);
      const resolved = updates(receiver)[0]!;
      expect(resolved.method).toBe('PATCH');
      expect(resolved.path).toBe('/api/workorders/WO-1001');
      expect(resolved.headers['idempotency-key']).toMatch(new RegExp(`^${ticket.id}:resolved:[0-9]+$`));
      expect(resolved.headers.authorization).toBe(`Bearer ${SECRET}`);
      expect(body(resolved)).toMatchObject({
        status: 'COMP',
        failurecode: 'BRG-OR-FAIL',
        wonum: 'WO-1001',
        source: 'plantwatch',
      });
      expect(body(resolved).remarks).toContain('replaced DE bearing');
      expect(body(resolved).remarks).toContain(`Plantwatch ticket ${ticket.id} resolved by`);
      expect(String(body(resolved).remarks)).not.toContain('\n');
      expect(typeof body(resolved).actfinish).toBe('string');

      await transition(cloud, ticket.id, { to: 'closed' });
      await cloud.modules.idle();
      expect(
        updates(receiver).map((r) => [body(r).status, withoutCursor(r.headers['idempotency-key'])]),
      ).toEqual([
        ['COMP', `${ticket.id}:resolved`],
        ['CLOSE', `${ticket.id}:closed`],
      ]);
      // Closing keeps the resolved close-out: the failure code goes along again.
      expect(body(updates(receiver)[1]!).failurecode).toBe('BRG-OR-FAIL');

      expect(await status(cloud)).toMatchObject({
        system: 'rest',
        exportOn: 'manual',
        sync: { enabled: true, on: ['resolved', 'closed', 'false_positive', 'duplicate'] },
        exported: 1,
        synced: 2,
        skipped: 0,
        failures: 0,
        consumer: { name: 'cmms', consecutiveFailures: 0 },
      });
    });

    it('retries a failed update with backoff, in order: the later close arrives after the resolve', async () => {
      const receiver = await cmms();
      const cloud = await start(syncConfig(receiver, { retry: { initial: '20ms', max: '50ms' } }));
      let patches = 0;
      receiver.respond = (request) => {
        if (request.method === 'POST') return { status: 201, body: { data: { workOrderId: 'WO-1001' } } };
        return patches++ < 2 ? { status: 500, body: { error: 'database locked' } } : { status: 200 };
      };
      const ticket = await openTicket(cloud.store);
      expect((await exportTicket(cloud, ticket.id)).status).toBe(201);
      await transition(cloud, ticket.id, { to: 'acknowledged' });
      await transition(cloud, ticket.id, RESOLVE);
      await transition(cloud, ticket.id, { to: 'closed' });
      await cloud.modules.idle();

      expect(updates(receiver).map((r) => [r.status, body(r).status])).toEqual([
        [500, 'COMP'],
        [500, 'COMP'],
        [200, 'COMP'],
        [200, 'CLOSE'],
      ]);
      const delivered = updates(receiver).filter((r) => r.status === 200);
      // Retries of one change repeat its key.
      expect(
        new Set(
          updates(receiver)
            .slice(0, 3)
            .map((r) => r.headers['idempotency-key']),
        ).size,
      ).toBe(1);
      expect(delivered.map((r) => withoutCursor(r.headers['idempotency-key']))).toEqual([
        `${ticket.id}:resolved`,
        `${ticket.id}:closed`,
      ]);
      const now = await status(cloud);
      expect(now).toMatchObject({
        exported: 1,
        synced: 2,
        failures: 2,
        consumer: { consecutiveFailures: 0 },
      });
      expect(now.lastError?.message).toContain('500');
      expect(now.lastError?.message).toContain('database locked');
      expect(now.consumer?.failures).toBe(2);
    });

    it('leaves tickets without a work order, and orders of another system, alone', async () => {
      const receiver = await cmms();
      acceptWorkOrdersAndUpdates(receiver);
      const logs = capturingLogger();
      const cloud = await start(syncConfig(receiver), logs.logger);
      const bare = await openTicket(cloud.store);
      const fromCsv = await openTicket(cloud.store);
      const put = await cloudFetch(cloud, `/api/v1/tickets/${fromCsv.id}/work-order`, {
        method: 'PUT',
        body: JSON.stringify({ system: 'csv', externalId: 'MX-77' }),
      });
      expect(put.status).toBe(200);
      await transition(cloud, bare.id, { to: 'false_positive' });
      await transition(cloud, fromCsv.id, { to: 'duplicate', duplicateOf: bare.id });
      await cloud.modules.idle();

      expect(receiver.requests).toHaveLength(0);
      expect(await status(cloud)).toMatchObject({ synced: 0, skipped: 1, failures: 0 });
      expect(
        logs.lines().some((l) => l.msg === 'cmms sync skipped: the work order belongs to another system'),
      ).toBe(true);
    });

    it('syncs an order stored by hand under the connector’s system, with false_positive as CAN', async () => {
      const receiver = await cmms();
      acceptWorkOrdersAndUpdates(receiver);
      const cloud = await start(syncConfig(receiver));
      const ticket = await openTicket(cloud.store);
      await cloudFetch(cloud, `/api/v1/tickets/${ticket.id}/work-order`, {
        method: 'PUT',
        body: JSON.stringify({ system: 'rest', externalId: 'MX 9/1' }),
      });
      await transition(cloud, ticket.id, { to: 'false_positive', comment: 'sensor knocked loose' });
      await cloud.modules.idle();
      expect(updates(receiver)).toHaveLength(1);
      const sent = updates(receiver)[0]!;
      expect(sent.path).toBe('/api/workorders/MX%209%2F1');
      expect(withoutCursor(sent.headers['idempotency-key'])).toBe(`${ticket.id}:false_positive`);
      expect(body(sent)).toMatchObject({ status: 'CAN', wonum: 'MX 9/1' });
      expect(body(sent).remarks).toContain('sensor knocked loose');
      expect(body(sent)).not.toHaveProperty('failurecode');
    });

    it('sends nothing without rest.update, says so once in the log, and the status says sync is off', async () => {
      const receiver = await cmms();
      acceptWorkOrdersAndUpdates(receiver);
      const logs = capturingLogger();
      const cloud = await start(restConfig(receiver), logs.logger);
      const ticket = await openTicket(cloud.store);
      expect((await exportTicket(cloud, ticket.id)).status).toBe(201);
      await transition(cloud, ticket.id, { to: 'acknowledged' });
      await transition(cloud, ticket.id, RESOLVE);
      await transition(cloud, ticket.id, { to: 'closed' });
      await cloud.modules.idle();

      expect(receiver.requests.map((r) => r.method)).toEqual(['POST']);
      const now = await status(cloud);
      expect(now).toMatchObject({ system: 'rest', exported: 1, synced: 0, consumer: null });
      expect(now.sync.enabled).toBe(false);
      expect(now.sync.reason).toContain('cmms.rest.update');
      expect(
        logs.lines().filter((l) => l.msg === 'cmms sync is off: work orders are not updated'),
      ).toHaveLength(1);
    });

    it('shows the status to engineers only, and says when there is no connector at all', async () => {
      const cloud = await start({});
      expect(await status(cloud)).toMatchObject({
        system: null,
        exportOn: 'manual',
        sync: { enabled: false },
        exported: 0,
        synced: 0,
        failures: 0,
        consumer: null,
      });
      await cloud.store.access.createUser({ username: 'viewer-s', role: 'viewer', sites: ['site-a'] });
      const token = await cloud.store.access.createApiToken('viewer-s', 'tests');
      const reply = await fetch(`${cloud.url}/api/v1/cmms/status`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(reply.status).toBe(403);
    });
  });

  it('hides a ticket of another site from an engineer', async () => {
    const receiver = await cmms();
    const cloud = await start(restConfig(receiver));
    const ticket = await openTicket(cloud.store, { site: 'site-a' });
    await cloud.store.access.createUser({ username: 'eng-b', role: 'engineer', sites: ['site-b'] });
    const token = await cloud.store.access.createApiToken('eng-b', 'tests');
    const reply = await fetch(`${cloud.url}/api/v1/tickets/${ticket.id}/work-order`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(reply.status).toBe(404);
    expect(receiver.requests).toHaveLength(0);
  });
});
