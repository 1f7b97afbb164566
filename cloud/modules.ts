import { startEventBus, type EventBus } from './bus/event-bus.js';
import { type CmmsService, startCmms } from './cmms/cmms-service.js';
import { type NotificationService, startNotifications } from './notify/notification-service.js';
import { type RoutingService, startRouting } from './routing/routing-service.js';
import type { CloudServices, CloudWorker } from './services.js';

/** The cloud's integration modules, each working the change log on its own. */
export interface CloudModules extends CloudWorker {
  routing: RoutingService;
  notifications: NotificationService;
  bus: EventBus;
  cmms: CmmsService;
}

export async function startCloudModules(services: CloudServices): Promise<CloudModules> {
  const started: CloudWorker[] = [];
  const start = async <T extends CloudWorker>(module: Promise<T>): Promise<T> => {
    const running = await module;
    started.push(running);
    return running;
  };
  try {
    // Routing first: a notification about a new ticket should name its assignee.
    const routing = await start(startRouting(services));
    const notifications = await start(startNotifications(services));
    const bus = await start(startEventBus(services));
    const cmms = await start(startCmms(services));
    return {
      routing,
      notifications,
      bus,
      cmms,
      async idle() {
        // Twice: what one module does (an assignment) is a change the others then act on.
        for (let round = 0; round < 2; round++) for (const m of started) await m.idle();
      },
      async stop() {
        for (const m of started.reverse()) await m.stop();
      },
    };
  } catch (error) {
    for (const m of started.reverse()) await m.stop().catch(() => undefined);
    throw error;
  }
}
