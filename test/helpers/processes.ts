import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, readdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { packageRoot } from '../../shared/paths.js';
import { freeLoopbackPort } from '../../simulators/free-port.js';
import { tempDir } from './stack.js';

/** The built CLI, as a user runs it after `npm install` (the test script builds first). */
export const CLI = join(packageRoot(), 'dist', 'plantwatch.js');

export interface Child {
  process: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const children: Child[] = [];

export function start(command: string, args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += String(d);
  });
  child.stderr?.on('data', (d) => {
    output += String(d);
  });
  // Resolves once stdout and stderr are read to their end ('exit' can come first), or 2 s after
  // 'exit' if a grandchild still holds the pipes.
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => resolve(code));
    child.once('exit', (code) => setTimeout(() => resolve(code), 2000).unref());
  });
  const handle: Child = {
    process: child,
    output: () => output,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  children.push(handle);
  return handle;
}

export const startCli = (args: string[], env: Record<string, string> = {}): Child =>
  start(process.execPath, [CLI, ...args], env);

/** Runs the CLI to completion: exit code and everything it printed. */
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string; stdout: string }> {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let stdout = '';
  child.stdout.on('data', (d) => {
    output += String(d);
    stdout += String(d);
  });
  child.stderr.on('data', (d) => {
    output += String(d);
  });
  // 'close', not 'exit': 'exit' can come before the last of stdout has been read from the pipe.
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, output, stdout };
}

export async function stopChildren(): Promise<void> {
  for (const child of children.splice(0).reverse()) await child.stop();
}

/**
 * A real mosquitto on 127.0.0.1:`port` with `extra` config lines (TLS files, …), started once the
 * port answers. The config dir is made world-readable: run as root, mosquitto drops to its own user.
 */
export async function startMosquitto(dir: string, port: number, extra: string[] = []): Promise<Child> {
  const conf = join(dir, `mosquitto-${port}.conf`);
  writeFileSync(
    conf,
    [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', ...extra, ''].join('\n'),
  );
  chmodSync(dir, 0o755);
  for (const file of readdirSync(dir)) chmodSync(join(dir, file), 0o644);
  const broker = start('mosquitto', ['-c', conf]);
  const deadline = Date.now() + 10_000;
  while (!(await listening(port))) {
    if (broker.process.exitCode !== null || Date.now() > deadline)
      throw new Error(`mosquitto did not listen on ${port}:\n${broker.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return broker;
}

/** A real mosquitto on a free loopback port, in a temporary folder of its own: its mqtt:// URL. */
export async function mosquittoOnFreePort(): Promise<string> {
  const port = await freeLoopbackPort();
  await startMosquitto(tempDir(), port);
  return `mqtt://127.0.0.1:${port}`;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
