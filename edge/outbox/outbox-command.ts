import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { FileError } from '../../shared/yaml-file.js';
import { type EdgeConfig, loadEdgeConfig } from '../config.js';
import { formatDeadLetters, resendDeadLetters, type ResendRequest } from './dead-letters.js';
import { type DeadLetter, Outbox, OutboxOpenError } from './outbox.js';

/**
 * `plantwatch outbox dead-letters|resend`: the events the agent set aside after the cloud refused
 * them, listed and requeued. With the agent stopped the outbox file is opened directly; while it
 * runs (it holds the file exclusively) its local status port does the same.
 */
export function outboxCommand(): Command {
  const outbox = new Command('outbox').description(
    "an edge agent's outbox: its set-aside (dead-letter) events",
  );
  outbox
    .command('dead-letters')
    .description('list the events set aside after the cloud refused them for their content')
    .requiredOption('-c, --config <file>', 'the agent config (YAML): its dataDir and http port')
    .option('--json', 'print JSON')
    .action(async (options: { config: string; json?: boolean }) => {
      const config = agentConfig(options.config);
      const deadLetters = await withOutbox(
        config,
        (local) => local.deadLetters(),
        async (url, token) =>
          (
            (await agentRequest(url, token, 'GET', '/api/v1/outbox/dead-letters')) as {
              deadLetters: DeadLetter[];
            }
          ).deadLetters,
      );
      console.log(
        options.json
          ? JSON.stringify(deadLetters, null, 2)
          : formatDeadLetters(deadLetters, outboxPath(config)),
      );
    });
  outbox
    .command('resend')
    .description('put set-aside events back in the queue once the cause is fixed (the agent may be running)')
    .argument('[seqs...]', 'the seqs to resend (see `outbox dead-letters`)', collectSeq)
    .option('--all', 'resend every set-aside event')
    .requiredOption('-c, --config <file>', 'the agent config (YAML): its dataDir and http port')
    .action(async (given: number[] | undefined, options: { config: string; all?: boolean }) => {
      const seqs = given ?? [];
      if (options.all === true && seqs.length > 0) throw new Error('give either seqs or --all, not both');
      if (options.all !== true && seqs.length === 0) throw new Error('give the seqs to resend, or --all');
      const request: ResendRequest = options.all === true ? { all: true } : { seqs };
      const config = agentConfig(options.config);
      const resent = await withOutbox(
        config,
        (local) => resendDeadLetters(local, request),
        async (url, token) =>
          ((await agentRequest(url, token, 'POST', '/api/v1/outbox/resend', request)) as { resent: number[] })
            .resent,
      );
      console.log(
        resent.length === 0
          ? 'no set-aside events to resend'
          : `requeued seq ${resent.join(', ')}: the agent sends ${resent.length === 1 ? 'it' : 'them'} with its next batch`,
      );
    });
  return outbox;
}

function collectSeq(value: string, previous: number[] | undefined): number[] {
  const seq = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(seq) || seq < 1)
    throw new InvalidArgumentError(
      `'${value}' is not a seq (a positive integer, as \`outbox dead-letters\` lists them)`,
    );
  return [...(previous ?? []), seq];
}

function agentConfig(file: string): EdgeConfig {
  try {
    return loadEdgeConfig(file);
  } catch (error) {
    if (error instanceof FileError) throw new Error(`config has errors:\n${error.message}`, { cause: error });
    throw error;
  }
}

const outboxPath = (config: EdgeConfig) => join(config.dataDir, 'outbox.db');

/** Runs on the outbox file when no agent holds it, else through the running agent's status port. */
async function withOutbox<T>(
  config: EdgeConfig,
  local: (outbox: Outbox) => T,
  remote: (agentUrl: string, token: string | undefined) => Promise<T>,
): Promise<T> {
  const path = outboxPath(config);
  if (!existsSync(path))
    throw new Error(`no outbox at ${path}: has an agent run with this config (its dataDir)?`);
  let outbox: Outbox;
  try {
    // A running agent holds the file for as long as it runs: no use waiting long for the lock.
    outbox = new Outbox(path, config.gatewayId, undefined, 200);
  } catch (error) {
    if (!(error instanceof OutboxOpenError && /locked|busy/i.test(error.message))) throw error;
    // A wildcard listen address is reached on loopback.
    const host = ['0.0.0.0', '::', ''].includes(config.http.host) ? '127.0.0.1' : config.http.host;
    return remote(`http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`, config.http.token);
  }
  try {
    return local(outbox);
  } finally {
    outbox.close();
  }
}

/** `token`: the config's http.token, which a running agent with one wants on these routes. */
async function agentRequest(
  agentUrl: string,
  token: string | undefined,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(new URL(path, agentUrl), {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new Error(
      `the outbox is held by a running agent, but its status port ${agentUrl} does not answer (${(error as Error).message}); ` +
        'check http.host/http.port in the config, or stop the agent and retry',
      { cause: error },
    );
  }
  const text = await response.text();
  if (!response.ok) {
    let message = text.slice(0, 500);
    try {
      message = (JSON.parse(text) as { message?: string }).message ?? message;
    } catch {
      // not JSON: an older agent without these routes, say
    }
    const hint =
      response.status === 401
        ? token
          ? '; the agent has another http.token than this config'
          : '; the agent wants a status token: set http.token in this config as in the running one'
        : '';
    throw new Error(`the running agent at ${agentUrl} answered ${response.status}: ${message}${hint}`);
  }
  return JSON.parse(text) as unknown;
}
