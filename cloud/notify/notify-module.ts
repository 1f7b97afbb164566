import type { CloudModule } from '../cloud-module.js';
import { NotificationsConfig } from './notify-config.js';
import { notifyMigrations } from './notify-migrations.js';
import { notificationRoutes } from './notification-routes.js';
import { type NotificationService, startNotifications } from './notification-service.js';

/** Who hears of a ticket: the `notifications:` section, its tables, the consumer and sender, its routes. */
export const notifyModule: CloudModule<'notifications', NotificationService, typeof NotificationsConfig> = {
  name: 'notifications',
  config: NotificationsConfig,
  migrations: notifyMigrations,
  start: startNotifications,
  routes: notificationRoutes,
};
