import { Duration, durationMs } from '../../shared/duration.js';
import { isTimeZone, WEEKDAY_NAMES, type WeekdayName } from '../zoned-time.js';
import { type Static, Type } from '@sinclair/typebox';
import { Fault, SEVERITIES, type Severity } from '../../shared/schema/ticket.js';

export const WEEKDAYS = WEEKDAY_NAMES;
export type Weekday = WeekdayName;

const username = (description = 'a cloud username') =>
  Type.String({ minLength: 1, maxLength: 64, description });
const skill = (description = 'skill name of letters, digits, _ . - (e.g. bearings)') =>
  Type.String({ pattern: '^[A-Za-z0-9_.-]{1,64}$', description });
const clockTime = (description: string) =>
  Type.String({ pattern: '^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$', description });
const TIME_OF_DAY = 'time of day HH:MM on a 24 h clock (e.g. 06:00; 24:00 ends a shift at midnight)';

export const Engineer = Type.Object(
  { skills: Type.Array(skill(), { maxItems: 100, description: 'what this engineer is routed for' }) },
  { additionalProperties: false },
);

export const Shift = Type.Object(
  {
    days: Type.Array(Type.Union(WEEKDAYS.map((d) => Type.Literal(d))), {
      minItems: 1,
      uniqueItems: true,
      description: 'the days the shift starts on (an overnight shift ends the next morning)',
    }),
    from: clockTime(TIME_OF_DAY),
    to: clockTime(`${TIME_OF_DAY}; earlier than 'from' means overnight`),
    engineers: Type.Array(username(), {
      minItems: 1,
      maxItems: 200,
      description: 'on call during the shift',
    }),
  },
  { additionalProperties: false },
);
export type Shift = Static<typeof Shift>;

export const RoutingSite = Type.Object(
  {
    timezone: Type.String({
      minLength: 1,
      maxLength: 64,
      description: 'IANA time zone the shift times are in, e.g. Europe/Berlin',
    }),
    lead: Type.Optional(username('gets what nobody on shift can take; last step of escalation')),
    onCall: Type.Optional(Type.Array(Shift, { maxItems: 200, description: 'the on-call schedule' })),
  },
  { additionalProperties: false },
);
export type RoutingSite = Static<typeof RoutingSite>;

export const RoutingRule = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200, description: 'named in the audit trail' }),
    site: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'only tickets of this site' }),
    ),
    assetGroup: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'only assets of this group (routing.assetGroups, or the asset registry)',
      }),
    ),
    faults: Type.Optional(
      Type.Array(Fault, { minItems: 1, uniqueItems: true, description: 'only these faults' }),
    ),
    minSeverity: Type.Optional(
      Type.Union(
        SEVERITIES.map((v) => Type.Literal(v)),
        { description: 'only tickets at least this severe' },
      ),
    ),
    skill: Type.Optional(skill('the skill the engineer must have')),
    raised: Type.Optional(
      Type.Boolean({
        description:
          'true: the rule routes severity raises from the edge (ticket.severity_raised) only, by the new severity; new tickets pass it by',
      }),
    ),
  },
  { additionalProperties: false },
);
export type RoutingRule = Static<typeof RoutingRule>;

/** The `routing` section of the cloud config file, and the body of `PUT /api/v1/routing`. */
export const RoutingConfig = Type.Object(
  {
    engineers: Type.Optional(
      Type.Record(Type.String(), Engineer, { description: 'skills per cloud username' }),
    ),
    assetGroups: Type.Optional(
      Type.Record(
        Type.String(),
        Type.Array(
          Type.String({ pattern: '^[A-Za-z0-9_.*?-]{1,64}$', description: 'asset id glob, e.g. pump-*' }),
          {
            maxItems: 1000,
          },
        ),
        { description: 'asset group -> asset id globs (the asset registry is consulted too)' },
      ),
    ),
    sites: Type.Optional(
      Type.Record(Type.String(), RoutingSite, { description: 'on-call schedule per site' }),
    ),
    rules: Type.Optional(
      Type.Array(RoutingRule, { maxItems: 1000, description: 'first match wins; every criterion optional' }),
    ),
    acknowledgeWithin: Type.Optional(
      Type.Object(
        {
          critical: Type.Optional(Duration),
          high: Type.Optional(Duration),
          medium: Type.Optional(Duration),
          low: Type.Optional(Duration),
        },
        {
          additionalProperties: false,
          description: 'escalate a new ticket nobody acknowledged within this (default 15m, 1h, 4h, 24h)',
        },
      ),
    ),
    escalateOverdue: Type.Optional(
      Type.Object(
        {
          /** How long past its due date first (default 0m). */
          after: Type.Optional(Duration),
          to: Type.Optional(
            Type.Union([Type.Literal('lead'), Type.Literal('next')], {
              description:
                'lead (default): to the site lead; next: to the next engineer on call not tried yet, then the lead',
            }),
          ),
          /** Between the steps of `next` (default: acknowledgeWithin of the severity). */
          every: Type.Optional(Duration),
        },
        {
          additionalProperties: false,
          description: 'escalate open tickets past their due date; absent: overdue tickets are not escalated',
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'who is on call and how new tickets are assigned and escalated',
  },
);
export type RoutingConfig = Static<typeof RoutingConfig>;

/**
 * A site's schedule, by an own key only: a site named `toString` or `constructor` (any text a
 * query or a gateway sends) must not find Object.prototype's members.
 */
export const siteSchedule = (config: RoutingConfig, site: string) =>
  config.sites && Object.hasOwn(config.sites, site) ? config.sites[site] : undefined;

export const DEFAULT_ACKNOWLEDGE_WITHIN: Record<Severity, string> = {
  critical: '15m',
  high: '1h',
  medium: '4h',
  low: '24h',
};

/** How long a ticket of this severity may stay new, as written (for reasons) and in ms. */
export function acknowledgeWithin(config: RoutingConfig, severity: Severity): { text: string; ms: number } {
  const text = config.acknowledgeWithin?.[severity] ?? DEFAULT_ACKNOWLEDGE_WITHIN[severity];
  return { text, ms: durationMs(text) };
}

export type OverduePolicy = NonNullable<RoutingConfig['escalateOverdue']>;

/** How long past its due date a ticket waits before its first overdue step. */
export const overdueAfterMs = (policy: OverduePolicy): number => durationMs(policy.after ?? '0m');

/** Between two overdue steps: the policy's `every`, else the severity's acknowledge time. */
export function overdueEvery(config: RoutingConfig, policy: OverduePolicy, severity: Severity) {
  return policy.every
    ? { text: policy.every, ms: durationMs(policy.every) }
    : acknowledgeWithin(config, severity);
}

/**
 * What the schema cannot see: names that must refer to each other, time zones, empty shifts.
 * Each problem is `<prefix>/<path>: what is wrong and what to do`.
 */
export function routingProblems(config: RoutingConfig, prefix = 'routing'): string[] {
  const problems: string[] = [];
  const engineers = config.engineers ?? {};
  const names = Object.keys(engineers);
  const skills = new Set(Object.values(engineers).flatMap((e) => e.skills));
  const known = (name: string, at: string) => {
    if (!(name in engineers)) {
      problems.push(
        `${prefix}/${at}: '${name}' is not in routing.engineers (${names.length ? names.join(', ') : 'none listed'}); add it there with its skills`,
      );
    }
  };
  for (const [site, s] of Object.entries(config.sites ?? {})) {
    const at = `sites/${site}`;
    if (!isTimeZone(s.timezone)) {
      problems.push(
        `${prefix}/${at}/timezone: '${s.timezone}' is not an IANA time zone (e.g. Europe/Berlin, UTC)`,
      );
    }
    if (s.lead !== undefined) known(s.lead, `${at}/lead`);
    (s.onCall ?? []).forEach((shift, i) => {
      if (shift.from === shift.to) {
        problems.push(
          `${prefix}/${at}/onCall/${i}/to: equals 'from' (${shift.from}); a shift must have a length`,
        );
      }
      if (shift.from === '24:00') {
        problems.push(`${prefix}/${at}/onCall/${i}/from: a shift cannot start at 24:00; use 00:00`);
      }
      shift.engineers.forEach((name, j) => known(name, `${at}/onCall/${i}/engineers/${j}`));
    });
  }
  (config.rules ?? []).forEach((rule, i) => {
    if (rule.skill !== undefined && !skills.has(rule.skill)) {
      problems.push(
        `${prefix}/rules/${i}/skill: no engineer has skill '${rule.skill}' (known: ${[...skills].join(', ') || 'none'})`,
      );
    }
    if (rule.site !== undefined && !(rule.site in (config.sites ?? {}))) {
      problems.push(
        `${prefix}/rules/${i}/site: site '${rule.site}' has no on-call schedule; add it under routing.sites`,
      );
    }
  });
  return problems;
}

/** Severity at least `min`. */
export const atLeast = (severity: Severity, min: Severity): boolean =>
  SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(min);
