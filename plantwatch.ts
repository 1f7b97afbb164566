#!/usr/bin/env node
import { Command } from 'commander';

/**
 * Each command's module, loaded only when that command runs: the cloud, the simulators and
 * node-opcua together cost a gateway's agent some 40 MB of memory it never uses. Help and unknown
 * commands load them all, in this order.
 */
const COMMANDS: Record<string, () => Promise<Command>> = {
  demo: async () => (await import('./simulators/demo/demo.js')).demoCommand(),
  edge: async () => (await import('./edge/cli.js')).edgeCommand(),
  outbox: async () => (await import('./edge/outbox/outbox-command.js')).outboxCommand(),
  cloud: async () => (await import('./cloud/cli.js')).cloudCommand(),
  sim: async () => (await import('./simulators/cli.js')).simCommand(),
  replay: async () => (await import('./simulators/replay/replay-command.js')).replayCommand(),
  diagnose: async () => (await import('./edge/diagnose/diagnose-command.js')).diagnoseCommand(),
  rules: async () => (await import('./edge/rules/rules-command.js')).rulesCommand(),
  bench: async () => (await import('./simulators/bench/bench-command.js')).benchCommand(),
  chaos: async () => (await import('./simulators/chaos/chaos-command.js')).chaosCommand(),
  fuzz: async () => (await import('./simulators/fuzz/fuzz-command.js')).fuzzCommand(),
};

async function main(): Promise<void> {
  const program = new Command('plantwatch')
    .description('Plantwatch: predictive maintenance from vibration and process data')
    .showHelpAfterError()
    .enablePositionalOptions();
  const named = process.argv[2];
  const loaders =
    named !== undefined && Object.hasOwn(COMMANDS, named) ? [COMMANDS[named]!] : Object.values(COMMANDS);
  for (const command of await Promise.all(loaders.map((load) => load()))) program.addCommand(command);
  await program.parseAsync(process.argv);
}

main().catch((error: unknown) => {
  console.error(`plantwatch: ${(error as Error).message}`);
  process.exit(1);
});
