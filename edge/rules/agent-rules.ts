import type Database from 'better-sqlite3';
import type { Logger } from 'pino';
import type { Ticket } from '../../shared/schema/index.js';
import type { EdgeConfig } from '../config.js';
import type { LatestSignals } from '../latest-signals.js';
import type { EdgeMetrics } from '../metrics.js';
import { DEFAULT_MACHINE_CLASS, MACHINE_CLASSES } from '../signal/iso-20816.js';
import { Baselines } from './baselines.js';
import { LiveRules } from './live-rules.js';
import type { LoadedRule } from './load-rules.js';
import { RuleEngine } from './rule-engine.js';
import { TrendHistories } from './trend-histories.js';
import { firingContributors } from '../tickets/ticket-manager.js';

export interface AgentRulesDeps {
  /** The rules loaded at start (loadStartupRules). */
  startupRules: readonly LoadedRule[];
  /** rule-state.db: learned baselines and trend histories. */
  stateDb: Database.Database;
  /** The pipeline's latest signals, which the conditions read. */
  signals: LatestSignals;
  /** Tickets still open from before a restart: their rules already fire and raise nothing new. */
  openTickets: readonly Ticket[];
  metrics: EdgeMetrics;
  logger: Logger;
}

export interface AgentRules {
  engine: RuleEngine;
  /** Learned baselines: write them down now and then (flush), and at stop. */
  baselines: Baselines;
  rules: LiveRules;
}

/**
 * The rules as the agent runs them: the engine over the pipeline's signals, its learned state kept
 * in rule-state.db, and the rule set, hot-reloaded once `rules.start()` is called.
 */
export function createAgentRules(
  config: Pick<EdgeConfig, 'rulesDir' | 'rules'> & Partial<Pick<EdgeConfig, 'assets'>>,
  deps: AgentRulesDeps,
): AgentRules {
  const { stateDb, signals, metrics, logger } = deps;
  const baselines = new Baselines(stateDb);
  // The class the analysis judged each asset's zone by (waveform-analysis.ts): the same boundaries.
  const machineClasses = new Map(
    (config.assets ?? []).flatMap((a) => (a.machineClass ? [[a.id, a.machineClass] as const] : [])),
  );
  const engine = new RuleEngine({
    signals,
    baselines,
    trendHistories: new TrendHistories(stateDb, (key, reason) =>
      logger.warn({ key, reason }, 'stored trend history unreadable; the trend is learned afresh'),
    ),
    staleAfterMs: config.rules.staleAfterMs,
    baselineLearnMs: config.rules.baselineLearnMs,
    zoneLimits: (assetId) => MACHINE_CLASSES[machineClasses.get(assetId) ?? DEFAULT_MACHINE_CLASS],
  });
  const rules = new LiveRules({ dir: config.rulesDir, rules: deps.startupRules, engine, metrics, logger });
  // Every rule × channel a ticket counts as firing, folded conditions too: each must clear on its own.
  for (const ticket of deps.openTickets) {
    for (const { ruleId, channel } of firingContributors(ticket))
      engine.markFiring(ruleId, ticket.assetId, channel);
  }
  return { engine, baselines, rules };
}
