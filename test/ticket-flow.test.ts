import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../cloud/bus/webhook-signature.js';
import { loadCloudConfig } from '../cloud/config/cloud-config.js';
import { startEdgeAgent } from '../edge/agent.js';
import { startEmbeddedBroker } from '../edge/sources/mqtt/embedded-broker.js';
import { ManualClock } from '../cloud/clock.js';
import { measurementTopic, type TicketChange, type TicketDetail } from '../shared/schema/index.js';
import { startHttpReceiver } from './helpers/http-receiver.js';
import { rulesDir } from './helpers/rules.js';
import { startSmtpSink } from './helpers/smtp-sink.js';
import {
  freePort,
  removeTempDirs,
  silentLogger,
  startTestCloud,
  testEdgeConfig,
  waitFor,
} from './helpers/stack.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTempDirs();
});

const HOT = `rules:
  - id: spindle-hot
    title: Spindle hot
    when: spindle_temperature > 65
    severity: high
    fault: overheating
    action: SOP-CNC-05
`;

/** A Tuesday, 09:00 in Berlin: alice and bob are on the morning shift at site-a. */
const TUESDAY_MORNING = Date.parse('2026-11-24T08:00:00Z');

describe('a ticket from the edge to the people and systems that act on it', () => {
  it('is routed, notified, published, and becomes a work order when acknowledged, as cloud/sample-cloud.yaml says', async () => {
    const smtp = await startSmtpSink();
    cleanups.push(() => smtp.close());
    const erp = await startHttpReceiver();
    cleanups.push(() => erp.close());
    const cmms = await startHttpReceiver();
    cmms.respond = () => ({ status: 201, body: { data: { workOrderId: 'WO-4711' } } });
    cleanups.push(() => cmms.close());
    const broker = await startEmbeddedBroker({ host: '127.0.0.1', port: await freePort() });
    cleanups.push(() => broker.close());

    // The shipped sample, with loopback stand-ins for the plant's mail server, ERP, CMMS and broker.
    Object.assign(process.env, {
      SMTP_PASSWORD: 'smtp-secret',
      ERP_WEBHOOK_SECRET: 'erp-webhook-secret-0123456789',
      CMMS_TOKEN: 'cmms-token',
    });
    const config = loadCloudConfig('cloud/sample-cloud.yaml');
    config.notifications = {
      ...config.notifications,
      smtp: { ...config.notifications?.smtp, host: smtp.host, port: smtp.port, secure: false } as never,
      mqtt: { url: broker.url },
    };
    const [erpHook] = config.bus?.webhooks ?? [];
    config.bus = {
      ...config.bus,
      webhooks: [{ ...erpHook, url: `${erp.url}/hooks/plantwatch` } as never],
      mqtt: { url: broker.url, topicPrefix: 'plantwatch' },
    };
    config.cmms = {
      ...config.cmms,
      rest: { ...config.cmms?.rest, url: `${cmms.url}/api/workorders` } as never,
    };

    const cloud = await startTestCloud({ config, clock: new ManualClock(TUESDAY_MORNING) });
    cleanups.push(() => cloud.stop());
    for (const username of ['alice', 'bob', 'dave']) {
      await cloud.store.access.createUser({ username, role: 'engineer', sites: ['site-a'] });
    }
    const aliceToken = await cloud.store.access.createApiToken('alice', 'test');

    const siteEvents: TicketChange[] = [];
    const alicePager: string[] = [];
    const listener = await mqtt.connectAsync(broker.url);
    cleanups.push(() => listener.endAsync());
    listener.on('message', (topic, payload) => {
      if (topic === 'plantwatch/sites/site-a/ticket-events') siteEvents.push(JSON.parse(payload.toString()));
      if (topic === 'plantwatch/notify/alice') alicePager.push(payload.toString());
    });
    await listener.subscribeAsync(['plantwatch/sites/+/ticket-events', 'plantwatch/notify/alice'], {
      qos: 1,
    });

    // A real gateway raises the ticket.
    const agent = await startEdgeAgent(
      testEdgeConfig({
        gatewayId: 'gw-7',
        site: 'site-a',
        cloud: {
          url: cloud.url,
          token: await cloud.store.access.createGatewayToken('gw-7', { sites: ['site-a'] }),
        },
        rulesDir: rulesDir({ 'hot.yaml': HOT }),
      }),
      silentLogger(),
    );
    cleanups.push(() => agent.stop());
    const sensor = await mqtt.connectAsync(agent.brokerUrl);
    cleanups.push(() => sensor.endAsync());
    await sensor.publishAsync(
      measurementTopic('plantwatch', 'cnc-1', 'spindle_temperature', 'reading'),
      JSON.stringify({ value: 71, unit: '°C', ts: Date.now() }),
      { qos: 1 },
    );

    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${cloud.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' },
      });
    const ticketId = await waitFor(async () => {
      const page = (await (await api('/api/v1/tickets')).json()) as { tickets: { id: string }[] };
      return page.tickets[0]?.id;
    }, 'the ticket in the cloud');
    const routed = await waitFor(async () => {
      const detail = (await (await api(`/api/v1/tickets/${ticketId}`)).json()) as TicketDetail;
      return detail.assignee ? detail : undefined;
    }, 'routing to assign it');
    // Not a bearing fault: the catch-all rule; alice and bob are on shift with no open tickets.
    expect(routed.assignee).toBe('alice');
    expect(routed.audit.find((a) => a.action === 'assign')).toMatchObject({
      actor: 'routing',
      detail: { to: 'alice', reason: expect.stringContaining('rule "everything else": on call at site-a') },
    });

    // Alice hears of it by email (medium and above) and on her pager topic (high and above).
    await cloud.modules.idle();
    const mail = await waitFor(
      () => smtp.messages.find((m) => m.to.includes('alice@plant.example')),
      'the email',
    );
    expect(mail.subject).toBe(
      '[HIGH] cnc-1: Spindle hot, spindle temperature 71 °C, above 65 °C — assigned to you',
    );
    expect(mail.text).toContain(`https://plantwatch.plant.example/#/tickets/${ticketId}`);
    await waitFor(() => alicePager.length > 0, 'the MQTT notification');

    const moved = await api(`/api/v1/tickets/${ticketId}/transitions`, {
      method: 'POST',
      body: JSON.stringify({ to: 'acknowledged' }),
    });
    expect(moved.status).toBe(200);

    // Acknowledged: the CMMS gets its work order and the ticket remembers its id.
    const linked = await waitFor(async () => {
      const detail = (await (await api(`/api/v1/tickets/${ticketId}`)).json()) as TicketDetail;
      return detail.workOrder ? detail : undefined;
    }, 'the work order id on the ticket');
    expect(linked.workOrder).toMatchObject({
      system: 'rest',
      externalId: 'WO-4711',
      url: 'https://cmms.plant.example/wo/WO-4711',
    });
    expect(cmms.requests).toHaveLength(1);
    expect(cmms.requests[0]?.headers.authorization).toBe('Bearer cmms-token');
    expect(JSON.parse(cmms.requests[0]?.body ?? '{}')).toMatchObject({
      assetnum: 'cnc-1',
      siteid: 'site-a',
      wopriority: 2,
      problemcode: 'OHE',
      worktype: 'PdM',
    });

    // The ERP's webhook saw the ticket's life in order, each delivery signed.
    await waitFor(() => erp.requests.length >= 3, 'three deliveries to the ERP');
    const delivered = erp.requests.map((r) => JSON.parse(r.body) as TicketChange);
    expect(delivered.map((c) => c.type)).toEqual([
      'ticket.opened',
      'ticket.transitioned',
      'ticket.work_order_linked',
    ]);
    for (const request of erp.requests) {
      const signed = {
        timestamp: String(request.headers[TIMESTAMP_HEADER]),
        signature: String(request.headers[SIGNATURE_HEADER]),
      };
      expect(verifySignature('erp-webhook-secret-0123456789', signed, request.body)).toBe(true);
    }
    // And the site's MQTT topic carried every change, the assignment too.
    await waitFor(() => siteEvents.some((c) => c.type === 'ticket.work_order_linked'), 'the site topic');
    expect(siteEvents.map((c) => c.type)).toEqual(
      expect.arrayContaining(['ticket.opened', 'ticket.assigned', 'ticket.transitioned']),
    );
    expect(smtp.messages.filter((m) => m.to.includes('alice@plant.example'))).toHaveLength(1);

    // Operations see the same from /metrics: nothing behind, what was sent and delivered.
    await cloud.modules.idle();
    const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
    expect(metrics).toContain('plantwatch_cloud_change_consumer_lag{consumer="routing"} 0');
    expect(metrics).toContain('plantwatch_cloud_change_consumer_lag{consumer="notifications"} 0');
    expect(metrics).toContain('plantwatch_cloud_routing_tickets{outcome="routed"} 1');
    expect(metrics).toMatch(/plantwatch_cloud_notifications\{status="sent"\} [2-9]/);
    expect(metrics).toMatch(/plantwatch_cloud_webhook_deliveries\{webhook="erp",result="delivered"\} [3-9]/);
  });
});
