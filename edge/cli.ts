import { Command } from 'commander';
import { createLogger } from '../shared/log.js';
import { stopOnSignals } from '../shared/shutdown.js';
import { FileError } from '../shared/yaml-file.js';
import { loadEdgeConfig } from './config.js';
import { capYoungGeneration } from './young-generation.js';

export function edgeCommand(): Command {
  return new Command('edge')
    .description(
      'run the edge agent: MQTT in, analysis and rules, tickets to the outbox, replication to the cloud',
    )
    .requiredOption('-c, --config <file>', 'agent config (YAML); see edge/sample-config.yaml')
    .action(async (options: { config: string }) => {
      // A process-wide V8 setting: made by the agent's own process, not by the agent as a library.
      capYoungGeneration();
      const logger = createLogger('edge');
      let config: ReturnType<typeof loadEdgeConfig>;
      try {
        config = loadEdgeConfig(options.config);
      } catch (error) {
        if (error instanceof FileError)
          throw new Error(`config has errors:\n${error.message}`, { cause: error });
        throw error;
      }
      // The agent's modules (broker, HTTP, SQLite, MQTT) load only to run it, not for --help.
      const { startEdgeAgent } = await import('./agent.js');
      const agent = await startEdgeAgent(config, logger);
      stopOnSignals(
        () => agent.stop(),
        (m) => logger.info(m),
      );
    });
}
