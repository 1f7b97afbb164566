import { Command } from 'commander';
import { speedFactor } from '../../shared/cli-options.js';
import { stopOnSignals } from '../../shared/shutdown.js';
import { FileError } from '../../shared/yaml-file.js';
import { type LeadTimeReport, measureLeadTime, LEAD_TIME_GOAL_H } from './lead-time.js';
import { loadScenario, type Scenario, shippedScenarioNames } from './scenario-file.js';
import { publishScenario } from './scenario-publisher.js';
import { waveformCount } from './scenario-waveforms.js';

interface ScenarioFlags {
  broker: string;
  prefix: string;
  speed: number;
  startTime?: string;
}

/** A scenario file's problems are the user's to fix: print them as file:line and exit 1. */
function loadOrExit(nameOrFile: string): Scenario {
  try {
    return loadScenario(nameOrFile);
  } catch (error) {
    if (!(error instanceof FileError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

const isoTime = (value: string): number => {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`--start-time: expected an ISO 8601 time, got '${value}'`);
  return ms;
};

/** `plantwatch sim scenario <name|file>`: a run-to-failure scenario over MQTT on a compressed clock. */
export function scenarioSimCommand(): Command {
  return new Command('scenario')
    .description(
      `publish a run-to-failure scenario over MQTT (shipped: ${shippedScenarioNames().join(', ')})`,
    )
    .argument('<scenario>', 'a shipped scenario name or a scenario .yaml file')
    .option('--broker <url>', 'MQTT broker', 'mqtt://127.0.0.1:1883')
    .option('--prefix <topic>', 'topic prefix', 'plantwatch')
    .option(
      '--speed <factor>',
      'simulated seconds per second: 3600x plays an hour a second',
      speedFactor,
      3600,
    )
    .option('--start-time <iso>', 'data-clock time of the scenario start (default: now)')
    .action(async (nameOrFile: string, flags: ScenarioFlags) => {
      const scenario = loadOrExit(nameOrFile);
      const startTimeMs = flags.startTime ? isoTime(flags.startTime) : Date.now();
      const abort = new AbortController();
      stopOnSignals(async () => abort.abort());
      const total = waveformCount(scenario);
      console.error(
        `${scenario.name}: ${scenario.fault} on ${scenario.assetId}, onset ${hours(scenario.onsetMs)} h, ` +
          `failure ${hours(scenario.failureMs)} h, ${total} waveforms at ${flags.speed}x`,
      );
      await publishScenario(scenario, {
        brokerUrl: flags.broker,
        topicPrefix: flags.prefix,
        speed: flags.speed,
        startTimeMs,
        signal: abort.signal,
        afterPublish: ({ index, simulatedMs, severity }) => {
          if (index % 36 === 0 || index === total - 1) {
            console.error(
              `t=${hours(simulatedMs)} h  severity ${(severity * 100).toFixed(1)} %  (${index + 1}/${total})`,
            );
          }
        },
      });
    });
}

const hours = (ms: number) => (ms / 3_600_000).toFixed(1);

/** `plantwatch sim lead-time [scenario...]`: how early the shipped rules warn of each failure. */
export function leadTimeSimCommand(): Command {
  return new Command('lead-time')
    .description('run scenarios end to end in-process and report how long before failure the tickets came')
    .argument('[scenarios...]', 'shipped scenario names or .yaml files (default: every shipped one)')
    .option('--json', 'one JSON object per scenario, one per line')
    .action(async (names: string[], flags: { json?: boolean }) => {
      const scenarios = (names.length > 0 ? names : shippedScenarioNames()).map(loadOrExit);
      const reports: LeadTimeReport[] = [];
      for (const scenario of scenarios) {
        const report = await measureLeadTime(scenario);
        reports.push(report);
        if (flags.json) console.log(JSON.stringify(report));
      }
      if (!flags.json) console.log(leadTimeTable(reports));
      if (reports.some((r) => !r.meetsGoal)) process.exitCode = 1;
    });
}

/** The reports as a plain-text table, one row per scenario. */
export function leadTimeTable(reports: LeadTimeReport[]): string {
  const header = [
    'scenario',
    'onset h',
    'failure h',
    'first predicted',
    'lead h',
    'first fired',
    'lead h',
    'before onset',
    `goal (≥ ${LEAD_TIME_GOAL_H} h)`,
  ];
  const rows = reports.map((r) => [
    r.scenario,
    r.onsetH.toFixed(1),
    r.failureH.toFixed(1),
    r.firstPredicted ? `${r.firstPredicted.ruleId} @ ${r.firstPredicted.atH.toFixed(1)} h` : 'none',
    r.firstPredicted ? r.firstPredicted.leadH.toFixed(1) : '-',
    r.firstFired ? `${r.firstFired.ruleId} @ ${r.firstFired.atH.toFixed(1)} h` : 'none',
    r.firstFired ? r.firstFired.leadH.toFixed(1) : '-',
    String(r.ticketsBeforeOnset.length),
    r.meetsGoal ? 'met' : 'NOT met',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}
