import { type Static, Type } from '@sinclair/typebox';

/** The `routing` section of the cloud config file (placeholder until the module defines it). */
export const RoutingConfig = Type.Object({}, { additionalProperties: false });
export type RoutingConfig = Static<typeof RoutingConfig>;
