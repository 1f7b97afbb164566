import { type Static, Type } from '@sinclair/typebox';

/** The `bus` section of the cloud config file (placeholder until the module defines it). */
export const BusConfig = Type.Object({}, { additionalProperties: false });
export type BusConfig = Static<typeof BusConfig>;
