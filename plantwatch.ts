#!/usr/bin/env node
import { Command } from 'commander';
import { cloudCommand } from './cloud/cli.js';
import { diagnoseCommand } from './edge/diagnose/diagnose-command.js';
import { edgeCommand } from './edge/cli.js';
import { outboxCommand } from './edge/outbox/outbox-command.js';
import { rulesCommand } from './edge/rules/rules-command.js';
import { benchCommand } from './simulators/bench/bench-command.js';
import { chaosCommand } from './simulators/chaos/chaos-command.js';
import { fuzzCommand } from './simulators/fuzz/fuzz-command.js';
import { simCommand } from './simulators/cli.js';
import { demoCommand } from './simulators/demo/demo.js';
import { replayCommand } from './simulators/replay/replay-command.js';

const program = new Command('plantwatch')
  .description('Plantwatch: predictive maintenance from vibration and process data')
  .showHelpAfterError()
  .enablePositionalOptions()
  .addCommand(demoCommand())
  .addCommand(edgeCommand())
  .addCommand(outboxCommand())
  .addCommand(cloudCommand())
  .addCommand(simCommand())
  .addCommand(replayCommand())
  .addCommand(diagnoseCommand())
  .addCommand(rulesCommand())
  .addCommand(benchCommand())
  .addCommand(chaosCommand())
  .addCommand(fuzzCommand());

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(`plantwatch: ${(error as Error).message}`);
  process.exit(1);
});
