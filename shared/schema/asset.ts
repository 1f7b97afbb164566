import { type Static, Type } from '@sinclair/typebox';
import { AssetId, ChannelId } from './reading.js';

/** ISO 20816-3 machine groups and foundations; the zone limits per class live in edge/signal/iso-20816.ts. */
export const MACHINE_CLASS_NAMES = [
  'group1-rigid',
  'group1-flexible',
  'group2-rigid',
  'group2-flexible',
] as const;
export type MachineClass = (typeof MACHINE_CLASS_NAMES)[number];

const Multiple = Type.Number({ exclusiveMinimum: 0, maximum: 100 });

/** What the analysis needs to know about a machine: its ISO class, its speed, its bearing. */
export const Asset = Type.Object(
  {
    id: AssetId,
    name: Type.Optional(Type.String({ maxLength: 200 })),
    machineClass: Type.Optional(Type.Union(MACHINE_CLASS_NAMES.map((c) => Type.Literal(c)))),
    /** Nominal shaft speed; a waveform's own rpm or the rpmChannel reading takes precedence. */
    rpm: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 100_000 })),
    /** A reading channel of this asset that carries the shaft speed in rpm. */
    rpmChannel: Type.Optional(ChannelId),
    /**
     * Where the speed of a variable-speed machine (a drive on a VFD) lies when no speed is given:
     * the analysis then finds it from 1× and its harmonics, or from the bearing lines, within it.
     */
    rpmRange: Type.Optional(
      Type.Object(
        {
          min: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
          max: Type.Number({ exclusiveMinimum: 0, maximum: 100_000 }),
        },
        { additionalProperties: false },
      ),
    ),
    bearing: Type.Optional(
      Type.Union([
        Type.String({ minLength: 1, description: 'bearing catalog id, e.g. skf-6205' }),
        Type.Object(
          { bpfo: Multiple, bpfi: Multiple, bsf: Multiple, ftf: Multiple },
          { additionalProperties: false },
        ),
      ]),
    ),
  },
  { additionalProperties: false },
);
export type Asset = Static<typeof Asset>;
