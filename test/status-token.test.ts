import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdgeAgent } from '../edge/agent.js';
import { loadEdgeConfig } from '../edge/config.js';
import { runCli } from './helpers/processes.js';
import { capturingLogger, freePort, removeTempDirs, startTestCloud, tempDir } from './helpers/stack.js';

const TOKEN = 'status-token-4b1d9e0c77a2';
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTempDirs();
});

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('the edge status port with http.token', () => {
  it('wants the token on /metrics, /api/v1/status and the outbox routes, not /healthz; the outbox CLI sends it', async () => {
    const cloud = await startTestCloud();
    cleanups.push(() => cloud.stop());
    const gatewayToken = await cloud.store.access.createGatewayToken('gw-token', { sites: ['test-site'] });
    const dir = tempDir();
    const httpPort = await freePort();
    const config = (withToken: boolean) =>
      [
        'gatewayId: gw-token',
        'site: test-site',
        `dataDir: ${join(dir, 'edge')}`,
        'http:',
        '  host: 127.0.0.1',
        `  port: ${httpPort}`,
        ...(withToken ? ['  token: ${PW_TEST_STATUS_TOKEN}'] : []),
        'mqtt: { embedded: { port: 0 } }',
        'telemetry: { enabled: false }',
        'cloud:',
        `  url: ${cloud.url}`,
        `  token: ${gatewayToken}`,
        '',
      ].join('\n');
    const configFile = join(dir, 'edge.yaml');
    writeFileSync(configFile, config(true));
    const tokenless = join(dir, 'tokenless.yaml');
    writeFileSync(tokenless, config(false));
    process.env.PW_TEST_STATUS_TOKEN = TOKEN;
    const agent = await startEdgeAgent(loadEdgeConfig(configFile), capturingLogger().logger);
    cleanups.push(() => agent.stop());

    for (const path of [
      '/metrics',
      '/api/v1/status',
      '/api/v1/status/counters',
      '/api/v1/outbox/dead-letters',
    ]) {
      const without = await fetch(`${agent.statusUrl}${path}`);
      expect(without.status, path).toBe(401);
      expect(without.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await without.json()) as { message: string }).message).toContain('http.token');
      expect((await fetch(`${agent.statusUrl}${path}`, bearer('wrong-token-0000000000'))).status).toBe(401);
      expect((await fetch(`${agent.statusUrl}${path}`, bearer(TOKEN))).status, path).toBe(200);
    }
    const resend = await fetch(`${agent.statusUrl}/api/v1/outbox/resend`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ all: true }),
    });
    expect(resend.status).toBe(401);
    expect((await fetch(`${agent.statusUrl}/healthz`)).status).not.toBe(401);
    expect(await (await fetch(`${agent.statusUrl}/metrics`, bearer(TOKEN))).text()).toMatch(
      /^plantwatch_edge_outbox_pending 0$/m,
    );

    const env = { PW_TEST_STATUS_TOKEN: TOKEN };
    const listed = await runCli(['outbox', 'dead-letters', '--config', configFile], env);
    expect(listed.output).not.toContain('401');
    expect(listed.code).toBe(0);
    const resent = await runCli(['outbox', 'resend', '--all', '--config', configFile], env);
    expect(resent.code).toBe(0);
    expect(resent.stdout).toContain('no set-aside events to resend');
    const refused = await runCli(['outbox', 'dead-letters', '--config', tokenless]);
    expect(refused.code).toBe(1);
    expect(refused.output).toContain(
      "answered 401: send the token set in http.token of the agent config as 'Authorization: Bearer <token>'; the agent wants a status token: set http.token in this config as in the running one",
    );
    expect(refused.output).not.toContain(TOKEN);
  }, 60_000);
});

describe('the cloud /metrics with metrics.token', () => {
  it('is 401 without the token and 200 with it; open as before without one configured', async () => {
    const guarded = await startTestCloud({ config: { metrics: { token: TOKEN } } });
    cleanups.push(() => guarded.stop());
    const without = await fetch(`${guarded.url}/metrics`);
    expect(without.status).toBe(401);
    expect(((await without.json()) as { message: string }).message).toContain('metrics.token');
    expect((await fetch(`${guarded.url}/metrics`, bearer('wrong-token-0000000000'))).status).toBe(401);
    const with_ = await fetch(`${guarded.url}/metrics`, bearer(TOKEN));
    expect(with_.status).toBe(200);
    expect(await with_.text()).toContain('plantwatch_cloud_ingest_requests_total');
    expect((await fetch(`${guarded.url}/healthz`)).status).toBe(200);

    const open = await startTestCloud();
    cleanups.push(() => open.stop());
    expect((await fetch(`${open.url}/metrics`)).status).toBe(200);
  });
});
