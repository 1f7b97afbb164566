import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../simulators/free-port.js';

const INFLUXD = '/usr/bin/influxd';
const START_TIMEOUT_MS = 20_000;

export interface InfluxServer {
  /** http://127.0.0.1:<port>, without a database. */
  url: string;
  stop(): Promise<void>;
}

/**
 * `influxd config`'s defaults with the overrides: `[section]` → key → TOML value ('' is the top
 * level). Keys the template lacks are appended to their section, so a renamed default cannot
 * silently leave a port or a data folder where it was.
 */
export function patchInfluxConfig(
  template: string,
  overrides: Record<string, Record<string, string>>,
): string {
  const pending = new Map(
    Object.entries(overrides).map(([section, keys]) => [section, new Map(Object.entries(keys))]),
  );
  const out: string[] = [];
  let section = '';
  const flush = () => {
    for (const [key, value] of pending.get(section) ?? []) out.push(`  ${key} = ${value}`);
    pending.delete(section);
  };
  for (const line of template.split('\n')) {
    const header = /^\s*\[{1,2}([^\]]+)\]{1,2}\s*$/.exec(line);
    if (header?.[1]) {
      flush();
      section = line.trim().startsWith('[[') ? `[${header[1]}]` : header[1];
      out.push(line);
      continue;
    }
    const entry = /^(\s*)([A-Za-z0-9_-]+)\s*=/.exec(line);
    const value = entry?.[2] === undefined ? undefined : pending.get(section)?.get(entry[2]);
    if (entry?.[2] !== undefined && value !== undefined) {
      out.push(`${entry[1]}${entry[2]} = ${value}`);
      pending.get(section)?.delete(entry[2]);
    } else {
      out.push(line);
    }
  }
  flush();
  for (const [name, keys] of pending) {
    out.push(`[${name}]`);
    for (const [key, value] of keys) out.push(`  ${key} = ${value}`);
  }
  return out.join('\n');
}

async function pingUntilUp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`influxd exited with ${child.exitCode} at start:\n${output()}`);
    try {
      const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) });
      if (response.status === 204) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`influxd did not answer ${url}/ping within ${START_TIMEOUT_MS} ms:\n${output()}`);
}

/** A throwaway InfluxDB 1.x on 127.0.0.1, in a temp folder; stop() kills it and deletes the folder. */
export async function startInfluxServer(): Promise<InfluxServer> {
  if (!existsSync(INFLUXD)) {
    throw new Error(
      `${INFLUXD} not found: install InfluxDB 1.x (Debian: apt-get install influxdb); CI installs it`,
    );
  }
  const dir = mkdtempSync(join(tmpdir(), 'plantwatch-influx-'));
  const [httpPort, rpcPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  // `influxd config` prints the defaults merged with /etc/influxdb/influxdb.conf if there is one.
  const template = execFileSync(INFLUXD, ['config'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const reporting: Record<string, string> = /^reporting-enabled\s*=/m.test(template)
    ? { 'reporting-enabled': 'false' } // Debian's patched name
    : { 'reporting-disabled': 'true' };
  const config = patchInfluxConfig(template, {
    '': { 'bind-address': `"127.0.0.1:${rpcPort}"`, ...reporting },
    meta: { dir: `"${join(dir, 'meta')}"`, 'logging-enabled': 'false' },
    data: {
      dir: `"${join(dir, 'data')}"`,
      'wal-dir': `"${join(dir, 'wal')}"`,
      'query-log-enabled': 'false',
    },
    http: {
      'bind-address': `"127.0.0.1:${httpPort}"`,
      'log-enabled': 'false',
      'unix-socket-enabled': 'false',
      'pprof-enabled': 'false',
    },
    monitor: { 'store-enabled': 'false' },
    logging: { level: '"warn"', 'suppress-logo': 'true' },
    continuous_queries: { 'log-enabled': 'false' },
  });
  const configFile = join(dir, 'influxdb.conf');
  writeFileSync(configFile, config);
  const child = spawn(INFLUXD, ['-config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + String(chunk)).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${httpPort}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await pingUntilUp(url, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
