import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunningCloud } from '../cloud/server.js';
import { removeTempDirs, startTestCloud, tempDir } from './helpers/stack.js';
import { sampleEvents } from './helpers/tickets.js';
import { openssl } from './helpers/openssl.js';
import { CLOSE_GRACE_MS } from '../shared/http-close.js';

const clouds: RunningCloud[] = [];
afterAll(async () => {
  await Promise.all(clouds.map((c) => c.stop()));
  removeTempDirs();
});

/** A self-signed certificate for 127.0.0.1, made with openssl. */
function selfSigned(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cloud.crt');
  const key = join(dir, 'cloud.key');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  return { cert, key };
}

const getHttps = (url: string, ca: Buffer): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    request(url, { ca }, (response) => {
      let body = '';
      response.on('data', (chunk) => (body += String(chunk)));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    })
      .on('error', reject)
      .end();
  });

describe('cloud operations', () => {
  it('serves HTTPS with the given certificate and key', async () => {
    const { cert, key } = selfSigned(tempDir());
    const cloud = await startTestCloud({ tlsCertPath: cert, tlsKeyPath: key });
    clouds.push(cloud);
    expect(cloud.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const health = await getHttps(`${cloud.url}/healthz`, readFileSync(cert));
    expect(health).toEqual({ status: 200, body: '{"status":"ok"}' });
    await expect(startTestCloud({ tlsCertPath: cert })).rejects.toThrow(
      /needs both --tls-cert and --tls-key/,
    );
  });

  it('answers readiness and exports ingest rate, latency and rejects by reason', async () => {
    const cloud = await startTestCloud();
    clouds.push(cloud);
    expect(await (await fetch(`${cloud.url}/readyz`)).json()).toEqual({ status: 'ok' });
    const token = await cloud.store.access.createGatewayToken('gw-ops', { sites: ['site-a'] });
    const post = (body: unknown, bearer?: string) =>
      fetch(`${cloud.url}/api/v1/ingest`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        },
        body: JSON.stringify(body),
      });
    expect((await post({ gatewayId: 'gw-ops', events: sampleEvents('gw-ops', [1, 2]) }, token)).status).toBe(
      200,
    );
    expect((await post({ gatewayId: 'gw-ops', events: [] }, token)).status).toBe(400);
    expect((await post({ gatewayId: 'gw-ops', events: [] })).status).toBe(401);
    const metrics = await (await fetch(`${cloud.url}/metrics`)).text();
    expect(metrics).toContain('plantwatch_cloud_events_applied_total 2');
    expect(metrics).toContain('plantwatch_cloud_ingest_rejects_total{reason="invalid_body"} 1');
    expect(metrics).toContain('plantwatch_cloud_ingest_rejects_total{reason="unauthenticated"} 1');
    expect(metrics).toMatch(/plantwatch_cloud_ingest_duration_seconds_count 3/);
  });
});

describe('the cloud stopping', () => {
  it('stops within its grace period while a scraper holds a response it never reads', async () => {
    const cloud = await startTestCloud();
    const unread = await fetch(`${cloud.url}/metrics`);
    expect(unread.status).toBe(200);
    const started = Date.now();
    await cloud.stop();
    // Before the bound, this stop never returned (the test hook timed out after 30 s).
    expect(Date.now() - started).toBeLessThan(CLOSE_GRACE_MS + 5_000);
    await expect(fetch(`${cloud.url}/healthz`)).rejects.toThrow();
  }, 20_000);
});
