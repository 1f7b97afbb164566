import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../bus/webhook-signature.js';
import { digestMessage, notificationMessage } from './message.js';
import type { CloudConfig } from '../config/cloud-config.js';
import { deliverAfter } from './notification-service.js';
import { quietUntil } from './quiet-hours.js';
import { recipientsOf, stateKeyOf } from './recipients.js';
import type { RunningCloud } from '../server.js';
import { startEmbeddedBroker, type EmbeddedBroker } from '../../edge/sources/mqtt/embedded-broker.js';
import { ManualClock } from '../clock.js';
import type { TicketChange } from '../../shared/schema/index.js';
import { CLOUD_STORES, newCloudDatabase } from '../../test/helpers/cloud-databases.js';
import { cloudFetch } from '../../test/helpers/cloud-client.js';
import { type HttpReceiver, startHttpReceiver } from '../../test/helpers/http-receiver.js';
import { type SmtpSink, startSmtpSink } from '../../test/helpers/smtp-sink.js';
import { capturingLogger, removeTempDirs, startTestCloud, waitFor } from '../../test/helpers/stack.js';
import { openTicket, sampleTicket, sendTicketEvent } from '../../test/helpers/tickets.js';

const HOUR = 3_600_000;
const SMTP_PASSWORD = 'smtp-pass-4f9a1c';
const ALICE_SECRET = 'alice-hook-secret-77e2';
// 12:00 in Berlin (CEST): outside anyone's quiet hours.
const NOON_BERLIN = Date.parse('2026-06-15T10:00:00Z');

interface WebhookPayload {
  schema: string;
  user: string;
  ticket: { id: string; severity: string };
  change: string;
  state: string;
  link: string;
  text: string;
  digest?: boolean;
  items?: { ticket: { id: string } }[];
}

describe.each(CLOUD_STORES)('notifications on %s', (kind) => {
  let cloud: RunningCloud;
  let sink: SmtpSink;
  let receiver: HttpReceiver;
  let broker: EmbeddedBroker;
  let subscriber: MqttClient;
  let db: string;
  let config: CloudConfig;
  const published: { topic: string; payload: WebhookPayload }[] = [];
  const clock = new ManualClock(NOON_BERLIN);
  const capture = capturingLogger();

  const mailTo = (address: string) => sink.messages.filter((m) => m.to.includes(address));
  const hooksAt = (path: string) => receiver.requests.filter((r) => r.path === path);
  const mqttFor = (user: string) => published.filter((m) => m.payload.user === user);
  const settle = async () => {
    await cloud.modules.idle();
    return cloud.modules.notifications.deliverDue();
  };
  const api = (path: string, init: RequestInit = {}) => cloudFetch(cloud, path, init);
  const assign = async (id: string, assignee: string | null) => {
    const response = await api(`/api/v1/tickets/${id}/assignee`, {
      method: 'PUT',
      body: JSON.stringify({ assignee }),
    });
    expect(response.status).toBe(200);
  };
  const transition = async (id: string, to: string, token?: string) => {
    const init = { method: 'POST', body: JSON.stringify({ to }) };
    const response = token
      ? await fetch(`${cloud.url}/api/v1/tickets/${id}/transitions`, {
          ...init,
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        })
      : await api(`/api/v1/tickets/${id}/transitions`, init);
    expect(response.status).toBe(200);
  };
  const notificationsOf = async (username: string) => {
    const response = await api(`/api/v1/notifications?username=${username}`);
    expect(response.status).toBe(200);
    return (
      (await response.json()) as {
        notifications: {
          ticket: { id: string };
          status: string;
          state: string;
          deliverAfter: string;
          attempts: number;
          lastError?: string;
          channel: string;
        }[];
      }
    ).notifications;
  };

  beforeAll(async () => {
    [sink, receiver, broker] = await Promise.all([
      startSmtpSink(),
      startHttpReceiver(),
      startEmbeddedBroker({ host: '127.0.0.1', port: 0 }),
    ]);
    subscriber = await connectAsync(broker.url);
    subscriber.on('message', (topic, payload) =>
      published.push({ topic, payload: JSON.parse(payload.toString()) as WebhookPayload }),
    );
    await subscriber.subscribeAsync('plantwatch/notify/#', { qos: 1 });
    config = {
      publicUrl: 'https://plantwatch.plant.example',
      notifications: {
        smtp: {
          host: sink.host,
          port: sink.port,
          secure: false,
          user: 'plantwatch',
          password: SMTP_PASSWORD,
          from: 'Plantwatch <plantwatch@plant.example>',
        },
        mqtt: { url: broker.url },
        digestEvery: '1h',
        users: {
          alice: {
            channels: [
              { kind: 'email', to: 'alice@plant.example', minSeverity: 'medium' },
              { kind: 'webhook', url: `${receiver.url}/alice`, secret: ALICE_SECRET, minSeverity: 'high' },
              { kind: 'mqtt', topic: 'plantwatch/notify/alice' },
            ],
          },
          bob: {
            channels: [{ kind: 'email', to: 'bob@plant.example' }],
            quietHours: { from: '22:00', to: '06:00', timezone: 'Europe/Berlin' },
          },
          carol: { channels: [{ kind: 'email', to: 'carol@plant.example' }], watch: 'sites' },
          erin: { channels: [{ kind: 'email', to: 'erin@plant.example' }], digest: ['low'] },
          frank: { channels: [{ kind: 'webhook', url: `${receiver.url}/frank` }] },
          gina: { channels: [{ kind: 'webhook', url: `${receiver.url}/gina` }] },
          // The API sets dave's preferences below; a restart must not bring the file's back.
          dave: { channels: [{ kind: 'email', to: 'dave-file@plant.example' }] },
        },
      },
    };
    db = await newCloudDatabase(kind);
    cloud = await startTestCloud({
      db,
      config,
      clock,
      logger: capture.logger,
    });
    for (const username of ['alice', 'bob', 'erin', 'frank', 'dave', 'gina']) {
      await cloud.store.access.createUser({ username, role: 'engineer', sites: 'all' });
    }
    await cloud.store.access.createUser({ username: 'carol', role: 'engineer', sites: ['site-b'] });
  });

  afterAll(async () => {
    await subscriber?.endAsync(true);
    await cloud?.stop();
    await Promise.all([sink?.close(), receiver?.close(), broker?.close()]);
    removeTempDirs();
  });

  it('sends an assignment once by email, signed webhook and MQTT, and each later state change once more', async () => {
    const ticket = await openTicket(cloud.store, {
      gatewayId: 'gw-dedupe',
      severity: 'high',
      site: 'site-a',
    });
    await assign(ticket.id, 'alice');
    await settle();
    const [mail] = await waitFor(
      () => mailTo('alice@plant.example').length === 1 && mailTo('alice@plant.example'),
      'email',
    );
    expect(mail!.subject).toBe('[HIGH] pump-1: velocity high — assigned to you');
    expect(mail!.from).toBe('plantwatch@plant.example');
    expect(mail!.user).toBe('plantwatch');
    expect(mail!.text).toContain('site-a');
    expect(mail!.text).toContain('threshold');
    expect(mail!.text).toContain('assigned to you by test-admin');
    expect(mail!.text).toContain(`https://plantwatch.plant.example/#/tickets/${ticket.id}`);
    const [hook] = await waitFor(() => hooksAt('/alice').length === 1 && hooksAt('/alice'), 'webhook');
    expect(
      verifySignature(
        ALICE_SECRET,
        {
          timestamp: hook!.headers[TIMESTAMP_HEADER] as string,
          signature: hook!.headers[SIGNATURE_HEADER] as string,
        },
        hook!.body,
      ),
    ).toBe(true);
    expect(
      verifySignature(
        'wrong',
        {
          timestamp: hook!.headers[TIMESTAMP_HEADER] as string,
          signature: hook!.headers[SIGNATURE_HEADER] as string,
        },
        hook!.body,
      ),
    ).toBe(false);
    const payload = JSON.parse(hook!.body) as WebhookPayload;
    expect(payload).toMatchObject({
      schema: 'plantwatch.notification/v1',
      user: 'alice',
      change: 'ticket.assigned',
      state: 'assigned:alice',
      ticket: { id: ticket.id, severity: 'high' },
    });
    const [message] = await waitFor(() => mqttFor('alice').length === 1 && mqttFor('alice'), 'MQTT message');
    expect(message!.topic).toBe('plantwatch/notify/alice');
    expect(message!.payload.state).toBe('assigned:alice');

    // Three more occurrences of the same ticket are no state change: nothing more is sent.
    await cloud.store.ingest.applyEvents(
      'gw-dedupe',
      [2, 3, 4].map((seq) => ({
        gatewayId: 'gw-dedupe',
        seq,
        type: 'ticket.updated' as const,
        at: new Date().toISOString(),
        ticket: { ...ticket, occurrences: seq },
      })),
    );
    // Unassigned and assigned to alice again: the same state, already notified.
    await assign(ticket.id, null);
    await assign(ticket.id, 'alice');
    expect(await settle()).toBe(0);

    // A transition is a new state: exactly one more on each channel.
    await transition(ticket.id, 'acknowledged');
    await settle();
    await waitFor(() => mailTo('alice@plant.example').length === 2, 'second email');
    await waitFor(
      () => hooksAt('/alice').length === 2 && mqttFor('alice').length === 2,
      'second webhook + MQTT',
    );
    expect(mailTo('alice@plant.example')[1]!.subject).toBe('[HIGH] pump-1: velocity high — acknowledged');

    // Alice's own move tells nobody (she is the assignee and the actor).
    const aliceToken = await cloud.store.access.createApiToken('alice', 'test');
    await transition(ticket.id, 'in_progress', aliceToken);
    expect(await settle()).toBe(0);
    await cloud.modules.notifications.deliverDue();
    expect(mailTo('alice@plant.example')).toHaveLength(2);
    expect(hooksAt('/alice')).toHaveLength(2);
    expect(mqttFor('alice')).toHaveLength(2);
    const rows = (await notificationsOf('alice')).filter((n) => n.ticket.id === ticket.id);
    expect(rows.map((n) => n.state).sort()).toEqual([
      'assigned:alice',
      'assigned:alice',
      'assigned:alice',
      'status:acknowledged',
      'status:acknowledged',
      'status:acknowledged',
    ]);
    expect(rows.every((n) => n.status === 'sent')).toBe(true);
  });

  it('filters by each channel minimum severity, and tells of an escalation with its reason', async () => {
    const medium = await openTicket(cloud.store, {
      severity: 'medium',
      assetId: 'fan-2',
      title: 'fan-2: imbalance',
    });
    await assign(medium.id, 'alice');
    await settle();
    await waitFor(
      () => mqttFor('alice').some((m) => m.payload.ticket.id === medium.id),
      'MQTT of the medium ticket',
    );
    await waitFor(() => mailTo('alice@plant.example').length === 3, 'email of the medium ticket');
    expect(hooksAt('/alice')).toHaveLength(2); // the webhook wants high or worse

    const low = await openTicket(cloud.store, { severity: 'low' });
    await assign(low.id, 'alice');
    await settle();
    await waitFor(
      () => mqttFor('alice').some((m) => m.payload.ticket.id === low.id),
      'MQTT of the low ticket',
    );
    expect(mailTo('alice@plant.example')).toHaveLength(3); // email wants medium or worse

    const escalated = await cloud.store.review.assign(
      medium.id,
      'routing',
      { assignee: 'bob' },
      clock.now(),
      { escalationLevel: 1, reason: 'not acknowledged within 4h' },
    );
    expect('ok' in escalated).toBe(true);
    await settle();
    const [mail] = await waitFor(
      () => mailTo('bob@plant.example').length === 1 && mailTo('bob@plant.example'),
      'escalation',
    );
    expect(mail!.subject).toBe('[MEDIUM] fan-2: imbalance — escalated to you');
    expect(mail!.text).toContain('not acknowledged within 4h');

    const comment = await api(`/api/v1/tickets/${medium.id}/comments`, {
      method: 'POST',
      body: JSON.stringify({ text: 'spare bearing is on the shelf' }),
    });
    expect(comment.status).toBe(201);
    await settle();
    const [, note] = await waitFor(
      () => mailTo('bob@plant.example').length === 2 && mailTo('bob@plant.example'),
      'comment email',
    );
    expect(note!.subject).toBe('[MEDIUM] fan-2: imbalance — new comment');
    expect(note!.text).toContain('test-admin commented: spare bearing is on the shelf');
  });

  it('tells site watchers of new tickets on the sites they can see only', async () => {
    const seen = await openTicket(cloud.store, {
      site: 'site-b',
      assetId: 'press-4',
      title: 'press-4: bearing',
    });
    const unseen = await openTicket(cloud.store, { site: 'site-a' });
    await settle();
    const [mail] = await waitFor(
      () => mailTo('carol@plant.example').length === 1 && mailTo('carol@plant.example'),
      'watch',
    );
    expect(mail!.subject).toBe('[HIGH] press-4: bearing — new ticket');
    await cloud.modules.notifications.deliverDue();
    expect(mailTo('carol@plant.example')).toHaveLength(1);
    expect((await notificationsOf('carol')).map((n) => n.ticket.id)).toEqual([seen.id]);
    expect((await notificationsOf('carol')).map((n) => n.ticket.id)).not.toContain(unseen.id);
  });

  it('tells the assignee and the site watchers of a severity raised at the edge, once per severity', async () => {
    const title = 'mill-3: velocity zone C';
    const ticket = await openTicket(cloud.store, {
      gatewayId: 'gw-raise',
      site: 'site-b',
      assetId: 'mill-3',
      severity: 'medium',
      title,
    });
    await assign(ticket.id, 'alice');
    await settle();
    const about = (address: string) => mailTo(address).filter((m) => m.subject.includes(title));
    await waitFor(() => about('alice@plant.example').length === 1, 'assignment email');
    await waitFor(() => about('carol@plant.example').length === 1, 'new ticket email');

    const raised = { ...ticket, severity: 'critical' as const, occurrences: 2 };
    await sendTicketEvent(cloud.store, raised);
    await settle();
    const [, mail] = await waitFor(
      () => about('alice@plant.example').length === 2 && about('alice@plant.example'),
      'raise email to the assignee',
    );
    expect(mail!.subject).toBe(`[CRITICAL] ${title} — raised to critical`);
    expect(mail!.text).toContain('Why you hear of it: severity raised from medium to critical at the edge');
    const [, watcher] = await waitFor(
      () => about('carol@plant.example').length === 2 && about('carol@plant.example'),
      'raise email to the site watcher',
    );
    expect(watcher!.subject).toBe(`[CRITICAL] ${title} — raised to critical`);
    const [hook] = await waitFor(() => {
      const hooks = hooksAt('/alice').filter((h) => h.body.includes(ticket.id));
      return hooks.length === 1 && hooks;
    }, 'raise webhook (the channel wants high or worse)');
    expect(JSON.parse(hook!.body)).toMatchObject({
      change: 'ticket.severity_raised',
      state: 'raised:critical',
    });

    // More occurrences at the same severity are no news.
    await sendTicketEvent(cloud.store, { ...raised, occurrences: 3 });
    await settle();
    await cloud.modules.notifications.deliverDue();
    expect(about('alice@plant.example')).toHaveLength(2);
    expect(about('carol@plant.example')).toHaveLength(2);
  });

  it('holds non-critical notifications during quiet hours and sends critical ones at once', async () => {
    const bobBefore = mailTo('bob@plant.example').length;
    clock.set(Date.parse('2026-06-15T21:00:00Z')); // 23:00 in Berlin
    const high = await openTicket(cloud.store, {
      severity: 'high',
      assetId: 'pump-7',
      title: 'pump-7: looseness',
    });
    await assign(high.id, 'bob');
    expect(await settle()).toBe(0);
    const held = (await notificationsOf('bob')).find((n) => n.ticket.id === high.id);
    expect(held).toMatchObject({ status: 'pending', deliverAfter: '2026-06-16T04:00:00.000Z' });

    const critical = await openTicket(cloud.store, {
      severity: 'critical',
      assetId: 'pump-8',
      title: 'pump-8: seizure',
    });
    await assign(critical.id, 'bob');
    await settle();
    await waitFor(
      () => mailTo('bob@plant.example').length === bobBefore + 1,
      'critical email in quiet hours',
    );
    expect(mailTo('bob@plant.example').at(-1)!.subject).toBe('[CRITICAL] pump-8: seizure — assigned to you');

    clock.set(Date.parse('2026-06-16T03:59:00Z')); // 05:59 in Berlin: still quiet
    expect(await cloud.modules.notifications.deliverDue()).toBe(0);
    clock.set(Date.parse('2026-06-16T04:00:01Z'));
    // Counted by what arrived: the module's own 1 s timer may be the one that sends it.
    await cloud.modules.notifications.deliverDue();
    await waitFor(() => mailTo('bob@plant.example').length === bobBefore + 2, 'held email after quiet hours');
    expect(mailTo('bob@plant.example').at(-1)!.subject).toBe('[HIGH] pump-7: looseness — assigned to you');
  });

  it('collects low severity into one digest per digestEvery, each ticket once with its latest state', async () => {
    clock.set(Date.parse('2026-06-16T10:10:00Z'));
    const first = await openTicket(cloud.store, {
      severity: 'low',
      assetId: 'belt-1',
      title: 'belt-1: wear',
    });
    const second = await openTicket(cloud.store, {
      severity: 'low',
      assetId: 'belt-2',
      title: 'belt-2: wear',
    });
    // Raised a day ago while its gateway was offline: history, so into the digest whatever its severity.
    const dayAgo = new Date(Date.now() - 24 * HOUR).toISOString();
    const historical = await openTicket(cloud.store, {
      severity: 'high',
      assetId: 'belt-3',
      title: 'belt-3: wear',
      firstSeen: dayAgo,
      lastSeen: dayAgo,
    });
    await assign(first.id, 'erin');
    await assign(second.id, 'erin');
    await assign(historical.id, 'erin');
    await transition(first.id, 'acknowledged');
    expect(await settle()).toBe(0);
    expect(mailTo('erin@plant.example')).toHaveLength(0);
    clock.set(Date.parse('2026-06-16T10:59:59Z'));
    expect(await cloud.modules.notifications.deliverDue()).toBe(0);
    clock.set(Date.parse('2026-06-16T11:10:00Z'));
    // Counted by what arrived: the module's own 1 s timer may be the one that sends it.
    await cloud.modules.notifications.deliverDue();
    const [digest] = await waitFor(
      () => mailTo('erin@plant.example').length === 1 && mailTo('erin@plant.example'),
      'digest',
    );
    expect(digest!.subject).toBe('[DIGEST] 3 tickets changed');
    expect(digest!.text).toContain('belt-3: wear — assigned to you (historical)');
    expect(digest!.text.match(/belt-1: wear/g)).toHaveLength(1);
    expect(digest!.text).toContain('belt-1: wear — acknowledged');
    expect(digest!.text).toContain('belt-2: wear — assigned to you');
    expect((await notificationsOf('erin')).every((n) => n.status === 'sent')).toBe(true);
    expect(await cloud.modules.notifications.deliverDue()).toBe(0);
    expect(mailTo('erin@plant.example')).toHaveLength(1);
  });

  it('retries a webhook that answered 500 later, and delivers it once', async () => {
    receiver.respond = (request) =>
      request.path === '/frank' && hooksAt('/frank').length === 0 ? { status: 500 } : { status: 200 };
    const ticket = await openTicket(cloud.store, { severity: 'high' });
    await assign(ticket.id, 'frank');
    await settle();
    await waitFor(() => hooksAt('/frank').length === 1, 'first attempt');
    const [failed] = await waitFor(async () => {
      const rows = await notificationsOf('frank');
      return rows[0]?.attempts === 1 && rows[0].lastError ? rows : undefined;
    }, 'the failure recorded');
    expect(failed).toMatchObject({ status: 'pending', lastError: 'webhook answered HTTP 500' });
    expect(await cloud.modules.notifications.deliverDue()).toBe(0); // not due before its backoff
    expect(hooksAt('/frank')).toHaveLength(1);
    clock.advance(HOUR);
    // Counted by what arrived: the module's own 1 s timer may be the one that sends it.
    await cloud.modules.notifications.deliverDue();
    expect(hooksAt('/frank').map((r) => r.status)).toEqual([500, 200]);
    expect((await notificationsOf('frank'))[0]).toMatchObject({ status: 'sent', attempts: 2 });
    clock.advance(HOUR);
    expect(await cloud.modules.notifications.deliverDue()).toBe(0);
    expect(hooksAt('/frank')).toHaveLength(2);
  });

  it('gives up after 10 failed attempts and says why', async () => {
    receiver.respond = (request) => (request.path === '/gina' ? { status: 503 } : { status: 200 });
    const ticket = await openTicket(cloud.store, { severity: 'high' });
    await assign(ticket.id, 'gina');
    await settle();
    for (let attempt = 0; attempt < 12; attempt++) {
      clock.advance(HOUR);
      await cloud.modules.notifications.deliverDue();
    }
    expect(hooksAt('/gina')).toHaveLength(10);
    const response = await api('/api/v1/notifications?username=gina&status=failed');
    const { notifications } = (await response.json()) as {
      notifications: { status: string; attempts: number; lastError: string }[];
    };
    expect(notifications).toEqual([
      expect.objectContaining({ status: 'failed', attempts: 10, lastError: 'webhook answered HTTP 503' }),
    ]);
  });

  it('lets users read and set their own preferences; the API wins over the file', async () => {
    const aliceToken = await cloud.store.access.createApiToken('alice', 'prefs');
    const asAlice = (path: string, init: RequestInit = {}) =>
      fetch(`${cloud.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${aliceToken}`, 'content-type': 'application/json' },
      });
    const own = await asAlice('/api/v1/users/alice/notifications');
    expect(own.status).toBe(200);
    const body = (await own.json()) as { source: string; preferences: { channels: { secret?: string }[] } };
    expect(body.source).toBe('file');
    expect(JSON.stringify(body)).not.toContain(ALICE_SECRET);
    expect((await asAlice('/api/v1/users/bob/notifications')).status).toBe(403);
    expect((await asAlice('/api/v1/notifications?username=bob')).status).toBe(403);
    expect((await api('/api/v1/users/nobody/notifications')).status).toBe(404);
    const bad = await api('/api/v1/users/dave/notifications', {
      method: 'PUT',
      body: JSON.stringify({ channels: [{ kind: 'email', to: 'not-an-address' }] }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { message: string }).message).toContain('channels/0/to');
    const badZone = await api('/api/v1/users/dave/notifications', {
      method: 'PUT',
      body: JSON.stringify({
        channels: [],
        quietHours: { from: '22:00', to: '06:00', timezone: 'Mars/Olympus' },
      }),
    });
    expect(badZone.status).toBe(400);
    expect(((await badZone.json()) as { message: string }).message).toContain('quietHours/timezone');

    // Alice sends her masked secret back: it is kept, and deliveries still verify with it.
    const put = await asAlice('/api/v1/users/alice/notifications', {
      method: 'PUT',
      body: JSON.stringify({ ...body.preferences, quietHours: { from: '01:00', to: '02:00' } }),
    });
    expect(put.status).toBe(200);
    const stored = await cloud.modules.notifications.store.preferences('alice');
    expect(stored?.source).toBe('api');
    expect(stored?.preferences.channels[1]).toMatchObject({ kind: 'webhook', secret: ALICE_SECRET });

    const dave = await api('/api/v1/users/dave/notifications', {
      method: 'PUT',
      body: JSON.stringify({ channels: [{ kind: 'email', to: 'dave@plant.example' }] }),
    });
    expect(dave.status).toBe(200);
    // What a restart does with the file's users: dave's API preferences stay.
    const store = cloud.modules.notifications.store;
    expect(await store.savePreferences('dave', { channels: [] }, 'file', new Date().toISOString())).toBe(
      false,
    );
    expect((await store.preferences('dave'))?.preferences.channels).toEqual([
      { kind: 'email', to: 'dave@plant.example' },
    ]);
    const ticket = await openTicket(cloud.store, { severity: 'high' });
    await assign(ticket.id, 'dave');
    await settle();
    await waitFor(() => mailTo('dave@plant.example').length === 1, "dave's email at the API's address");
    expect(mailTo('dave-file@plant.example')).toHaveLength(0);
  });

  it('sends once with a second cloud instance on the same database', async () => {
    const second = await startTestCloud({ db, config, clock, logger: capture.logger });
    try {
      // Its startup wrote the file's users again, but dave's preferences set by the API stay.
      expect((await second.modules.notifications.store.preferences('dave'))?.preferences.channels).toEqual([
        { kind: 'email', to: 'dave@plant.example' },
      ]);
      await second.store.access.createUser({ username: 'hank', role: 'engineer', sites: 'all' });
      await second.modules.notifications.store.savePreferences(
        'hank',
        { channels: [{ kind: 'email', to: 'hank@plant.example' }] },
        'api',
        new Date().toISOString(),
      );
      const ticket = await openTicket(second.store, { severity: 'high', gatewayId: 'gw-second' });
      const response = await fetch(`${second.url}/api/v1/tickets/${ticket.id}/assignee`, {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${await cloud.store.access.createApiToken('test-admin', 'second')}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify({ assignee: 'hank' }),
      });
      expect(response.status).toBe(200);
      await waitFor(async () => (await notificationsOf('hank')).length > 0, 'the notification queued');
      for (let round = 0; round < 3; round++) {
        await Promise.all([
          cloud.modules.notifications.deliverDue(),
          second.modules.notifications.deliverDue(),
        ]);
      }
      await waitFor(() => mailTo('hank@plant.example').length === 1, "hank's email");
      expect(await notificationsOf('hank')).toEqual([
        expect.objectContaining({ status: 'sent', attempts: 1 }),
      ]);
      expect(mailTo('hank@plant.example')).toHaveLength(1);
    } finally {
      await second.stop();
    }
  });

  it('documents its routes in the OpenAPI spec', async () => {
    const spec = (await (await fetch(`${cloud.url}/docs/json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/v1/users/{username}/notifications', '/api/v1/notifications']),
    );
  });

  it('never logs the SMTP password or a webhook secret', () => {
    const text = JSON.stringify(capture.lines());
    expect(text).toContain('notification'); // something was logged about notifications
    expect(text).not.toContain(SMTP_PASSWORD);
    expect(text).not.toContain(ALICE_SECRET);
  });
});

describe('notification rules (pure)', () => {
  const change = (overrides: Partial<TicketChange>): TicketChange => {
    const t = sampleTicket();
    return {
      schema: 'plantwatch.ticket-change/v1',
      cursor: '7',
      type: 'ticket.opened',
      at: t.firstSeen,
      actor: 'gateway:gw-1',
      ticket: {
        id: t.id,
        site: t.site,
        assetId: t.assetId,
        gatewayId: t.gatewayId,
        fault: t.fault,
        severity: t.severity,
        status: 'new',
        title: t.title,
        ruleId: t.rule.id,
        ruleVersion: t.rule.version,
        openedAt: t.firstSeen,
        dueAt: t.firstSeen,
        predicted: false,
      },
      detail: {},
      ...overrides,
    };
  };

  it('names the state a change moves a ticket to, and none for a new occurrence', () => {
    expect(stateKeyOf(change({ type: 'ticket.updated' }))).toBeUndefined();
    expect(stateKeyOf(change({ type: 'ticket.assigned', detail: { to: 'alice' } }))).toBe('assigned:alice');
    expect(stateKeyOf(change({ type: 'ticket.escalated', detail: { to: 'bob', level: 2 } }))).toBe(
      'escalated:2',
    );
    expect(
      stateKeyOf(change({ type: 'ticket.transitioned', detail: { from: 'new', to: 'acknowledged' } })),
    ).toBe('status:acknowledged');
    expect(stateKeyOf(change({ type: 'ticket.commented', detail: { commentId: 12 } }))).toBe('comment:12');
    expect(stateKeyOf(change({ type: 'ticket.cleared' }))).toBe('cleared');
    expect(
      stateKeyOf(change({ type: 'ticket.escalated', detail: { to: 'dave', level: 1, cause: 'overdue' } })),
    ).toBe('overdue:1');
    expect(
      stateKeyOf(change({ type: 'ticket.severity_raised', detail: { from: 'medium', to: 'critical' } })),
    ).toBe('raised:critical');
    expect(
      stateKeyOf(
        change({
          type: 'ticket.severity_raised',
          detail: { from: 'high', to: 'high', etaAfter: '2026-07-01T00:00:00.000Z' },
        }),
      ),
    ).toBe('raised:high@2026-07-01T00:00:00.000Z');
    expect(stateKeyOf(change({ type: 'ticket.work_order_linked' }))).toBeUndefined();
  });

  it('skips disabled users and the actor', () => {
    const users = [
      { username: 'alice', sites: 'all' as const, disabled: false },
      { username: 'zed', sites: 'all' as const, disabled: true },
    ];
    const prefs = new Map([
      ['alice', { channels: [], watch: 'sites' as const }],
      ['zed', { channels: [], watch: 'sites' as const }],
    ]);
    expect(recipientsOf(change({}), users, prefs).map((r) => r.username)).toEqual(['alice']);
    const own = change({ type: 'ticket.commented', actor: 'alice', detail: { commentId: 1 } });
    own.ticket.assignee = 'alice';
    expect(recipientsOf(own, users, prefs)).toEqual([]);
    const assignedToZed = change({ type: 'ticket.assigned', actor: 'alice', detail: { to: 'zed' } });
    expect(recipientsOf(assignedToZed, users, prefs)).toEqual([]);
  });

  it('computes the end of quiet hours across midnight in the user timezone', () => {
    const quiet = { from: '22:00', to: '06:00', timezone: 'Europe/Berlin' };
    // 23:30 CEST → 06:00 CEST = 04:00Z next day.
    expect(quietUntil(Date.parse('2026-06-15T21:30:00Z'), quiet)).toBe(Date.parse('2026-06-16T04:00:00Z'));
    // 05:00 CET in winter → 06:00 CET = 05:00Z.
    expect(quietUntil(Date.parse('2026-01-10T04:00:00Z'), quiet)).toBe(Date.parse('2026-01-10T05:00:00Z'));
    expect(quietUntil(Date.parse('2026-06-15T10:00:00Z'), quiet)).toBeUndefined();
    // Quiet nights over the spring DST change still end at 06:00 local (04:00Z).
    expect(quietUntil(Date.parse('2026-03-28T22:00:00Z'), quiet)).toBe(Date.parse('2026-03-29T04:00:00Z'));
    expect(quietUntil(Date.parse('2026-06-15T10:00:00Z'), { from: '09:00', to: '17:00' })).toBe(
      Date.parse('2026-06-15T17:00:00Z'),
    );
  });

  it('defers a digest that falls into quiet hours to their end', () => {
    const prefs = { channels: [], quietHours: { from: '22:00', to: '06:00', timezone: 'Europe/Berlin' } };
    const at2310Berlin = Date.parse('2026-06-15T21:10:00Z');
    expect(deliverAfter(at2310Berlin, 'low', 'digest', prefs, HOUR)).toBe(Date.parse('2026-06-16T04:00:00Z'));
    expect(deliverAfter(at2310Berlin, 'critical', 'single', prefs, HOUR)).toBe(at2310Berlin);
    expect(deliverAfter(NOON_BERLIN + 60_000, 'low', 'digest', prefs, HOUR)).toBe(NOON_BERLIN + HOUR);
  });

  it('writes a subject an engineer can triage from, and a digest listing each ticket once', () => {
    const assigned = change({ type: 'ticket.assigned', detail: { to: 'alice' } });
    const item = {
      ticket: assigned.ticket,
      changeType: assigned.type,
      stateKey: 'assigned:alice',
      reason: 'assigned to you by routing',
      link: 'https://x/#/tickets/1',
    };
    expect(notificationMessage(item).subject).toBe('[HIGH] pump-1: velocity high — assigned to you');
    const digest = digestMessage([item, { ...item, stateKey: 'status:acknowledged' }]);
    expect(digest.subject).toBe('[DIGEST] 1 ticket changed');
    expect(digest.text).toContain('— acknowledged');
    expect(digest.text).not.toContain('assigned to you');
  });
});
