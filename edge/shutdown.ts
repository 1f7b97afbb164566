import type { Logger } from 'pino';

type Step = () => Promise<void> | void;

/**
 * What the agent undoes when it stops, the last part started stopped first, so each part stops
 * before what it depends on. A step that fails is logged and the others still run.
 */
export class Shutdown {
  private readonly steps: Step[] = [];

  constructor(private readonly logger: Logger) {}

  add(step: Step): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    for (const step of this.steps.reverse()) {
      try {
        await step();
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'error during shutdown');
      }
    }
    this.steps.length = 0;
  }
}
