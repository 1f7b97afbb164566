import { type Static, Type } from '@sinclair/typebox';

/** The `cmms` section of the cloud config file (placeholder until the module defines it). */
export const CmmsConfig = Type.Object({}, { additionalProperties: false });
export type CmmsConfig = Static<typeof CmmsConfig>;
