import { type Static, Type } from '@sinclair/typebox';

/** The `notifications` section of the cloud config file (placeholder until the module defines it). */
export const NotificationsConfig = Type.Object({}, { additionalProperties: false });
export type NotificationsConfig = Static<typeof NotificationsConfig>;
