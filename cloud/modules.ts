import type { CloudWorker } from './cloud-module.js';
import { CLOUD_MODULES, type RunningModules } from './cloud-modules.js';
import type { CloudConfig } from './config/cloud-config.js';
import type { CloudServices } from './services.js';

/** The modules' running parts, by name (`modules.routing`), each working the change log on its own. */
export type CloudModules = RunningModules & CloudWorker;

/** A module's running part by name; undefined for a module with nothing running. */
export const runningModule = (modules: CloudModules, name: string): CloudWorker | undefined =>
  (modules as unknown as Record<string, CloudWorker | undefined>)[name];

/**
 * Starts the modules that run, in the list's order, each with its section of the config; stops
 * them in reverse. If one fails to start, those already started are stopped again.
 */
export async function startCloudModules(services: CloudServices, config: CloudConfig): Promise<CloudModules> {
  const sections = config as Record<string, unknown>;
  const started: CloudWorker[] = [];
  const byName: Record<string, CloudWorker> = {};
  try {
    for (const module of CLOUD_MODULES) {
      const running = await module.start?.(services, sections[module.name]);
      if (!running) continue;
      started.push(running);
      byName[module.name] = running;
    }
  } catch (error) {
    for (const m of started.reverse()) await m.stop().catch(() => undefined);
    throw error;
  }
  const modules: CloudWorker = {
    async idle() {
      // Twice: what one module does (an assignment) is a change the others then act on.
      for (let round = 0; round < 2; round++) for (const m of started) await m.idle();
    },
    async stop() {
      for (const m of started.reverse()) await m.stop();
    },
  };
  return { ...byName, ...modules } as CloudModules;
}
