import { type Static, Type } from '@sinclair/typebox';
import { AssetId, ChannelId } from '../../shared/schema/reading.js';
import { Severity } from '../../shared/schema/ticket.js';

/** Worst first: the order the overview counts and sorts them in. */
export const HEALTH_STATES = ['alarm', 'watch', 'healthy', 'unknown'] as const;
export const HealthState = Type.Union(
  HEALTH_STATES.map((s) => Type.Literal(s)),
  { description: 'alarm: act now; watch: plan; healthy: nothing to do; unknown: no recent data' },
);
export type HealthState = Static<typeof HealthState>;

/** The area of an asset the registry does not place (or does not know). */
export const UNASSIGNED_AREA = 'unassigned';

const At = Type.String({ format: 'date-time', description: 'when it was measured' });

export const LatestReading = Type.Object(
  { channel: ChannelId, value: Type.Number(), at: At },
  { additionalProperties: false },
);
export type LatestReading = Static<typeof LatestReading>;

export const AssetHealth = Type.Object(
  {
    assetId: AssetId,
    site: Type.String(),
    area: Type.String({ description: `the registry's group, or "${UNASSIGNED_AREA}"` }),
    registered: Type.Boolean({ description: 'whether the asset registry holds it' }),
    name: Type.Optional(Type.String()),
    machineClass: Type.Optional(Type.String()),
    channels: Type.Array(ChannelId, { description: 'registered channels, and those that reported' }),
    state: HealthState,
    reasons: Type.Array(Type.String(), { description: 'why the state, in plain words' }),
    openTickets: Type.Integer({ minimum: 0 }),
    highestOpenSeverity: Type.Optional(Severity),
    velocity: Type.Optional(
      Type.Object(
        { channel: ChannelId, valueMmS: Type.Number(), at: At },
        { additionalProperties: false, description: 'latest ISO 20816 velocity RMS, highest channel' },
      ),
    ),
    isoZone: Type.Optional(
      Type.Object(
        {
          channel: ChannelId,
          zone: Type.Union([Type.Literal('A'), Type.Literal('B'), Type.Literal('C'), Type.Literal('D')]),
          at: At,
        },
        { additionalProperties: false, description: 'latest ISO 20816 zone, worst channel' },
      ),
    ),
    readings: Type.Array(LatestReading, { description: 'latest value of each scalar channel' }),
    lastSeen: Type.Optional(
      Type.String({ format: 'date-time', description: 'newest telemetry or ticket update' }),
    ),
  },
  { additionalProperties: false },
);
export type AssetHealth = Static<typeof AssetHealth>;

export const HealthCounts = Type.Object(
  {
    alarm: Type.Integer({ minimum: 0 }),
    watch: Type.Integer({ minimum: 0 }),
    healthy: Type.Integer({ minimum: 0 }),
    unknown: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
export type HealthCounts = Static<typeof HealthCounts>;

export const PlantReply = Type.Object(
  {
    generatedAt: Type.String({ format: 'date-time' }),
    staleAfterHours: Type.Number({ description: 'telemetry older than this does not count as now' }),
    counts: HealthCounts,
    sites: Type.Array(
      Type.Object(
        {
          site: Type.String(),
          areas: Type.Array(
            Type.Object(
              { area: Type.String(), assets: Type.Array(AssetHealth) },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type PlantReply = Static<typeof PlantReply>;

export const PlantQuery = Type.Object(
  {
    site: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description: 'only this site' })),
    health: Type.Optional(HealthState),
  },
  { additionalProperties: false },
);
export type PlantQuery = Static<typeof PlantQuery>;

export const AssetHealthParams = Type.Object({ assetId: AssetId }, { additionalProperties: false });
export type AssetHealthParams = Static<typeof AssetHealthParams>;

export const AssetHealthReply = Type.Object(
  {
    generatedAt: Type.String({ format: 'date-time' }),
    staleAfterHours: Type.Number(),
    asset: AssetHealth,
  },
  { additionalProperties: false },
);
export type AssetHealthReply = Static<typeof AssetHealthReply>;
