import type { Fault, Severity } from '../../shared/schema/index.js';
import { canSeeSite, hasRole, type Role, type UserSites } from '../access/roles.js';
import { onCallAt } from './on-call.js';
import { atLeast, type RoutingConfig, type RoutingRule, siteSchedule } from './routing-config.js';

/** Which rule a ticket falls under and which engineer gets it; pure, the facts are read by the caller. */

export interface TicketFacts {
  site: string;
  assetId: string;
  fault: Fault;
  severity: Severity;
  /** The asset's group in the asset registry, if it has one. */
  registryGroup?: string | null;
}

export interface CloudUserFacts {
  username: string;
  role: Role;
  sites: UserSites;
  disabledAt?: string;
}

export interface RoutingFacts {
  nowMs: number;
  users: readonly CloudUserFacts[];
  /** Open tickets (new, acknowledged, in progress) assigned to each engineer now. */
  openTickets: ReadonlyMap<string, number>;
  /** When routing last assigned each engineer a ticket (ISO), for ties. */
  lastAssignedAt: ReadonlyMap<string, string>;
}

export interface Candidate {
  engineer: string;
  shift: string;
  openTickets: number;
  lastAssignedAt?: string;
}

export type Decision =
  { assignee: string; reason: string; lead: boolean } | { assignee?: undefined; reason: string };

const globPattern = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\-]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );

export function inAssetGroup(config: RoutingConfig, group: string, ticket: TicketFacts): boolean {
  if (ticket.registryGroup === group) return true;
  return (config.assetGroups?.[group] ?? []).some((glob) => globPattern(glob).test(ticket.assetId));
}

/**
 * The first rule every criterion of which the ticket meets. A new ticket passes `raised` rules by;
 * a raise from the edge is matched by them only, with its new severity.
 */
export function matchRule(
  config: RoutingConfig,
  ticket: TicketFacts,
  change: 'opened' | 'raised' = 'opened',
): RoutingRule | undefined {
  return (config.rules ?? []).find(
    (rule) =>
      (rule.raised === true) === (change === 'raised') &&
      (rule.site === undefined || rule.site === ticket.site) &&
      (rule.assetGroup === undefined || inAssetGroup(config, rule.assetGroup, ticket)) &&
      (rule.faults === undefined || rule.faults.includes(ticket.fault)) &&
      (rule.minSeverity === undefined || atLeast(ticket.severity, rule.minSeverity)),
  );
}

/** A user who may take a ticket of the site: exists, enabled, engineer or admin, sees the site. */
export const canTake = (users: readonly CloudUserFacts[], username: string, site: string): boolean =>
  users.some(
    (u) => u.username === username && !u.disabledAt && hasRole(u, 'engineer') && canSeeSite(u, site),
  );

/**
 * Engineers on shift at the site now who have the skill and may take its tickets, except those in
 * `exclude`, best first: fewest open tickets, then least recently auto-assigned, then name.
 */
export function eligibleOnCall(
  config: RoutingConfig,
  site: string,
  skill: string | undefined,
  facts: RoutingFacts,
  exclude: readonly string[] = [],
): Candidate[] {
  const schedule = siteSchedule(config, site);
  if (!schedule) return [];
  return onCallAt(schedule, facts.nowMs)
    .filter(
      ({ engineer }) =>
        !exclude.includes(engineer) &&
        (skill === undefined || (config.engineers?.[engineer]?.skills ?? []).includes(skill)) &&
        canTake(facts.users, engineer, site),
    )
    .map(({ engineer, shift }) => {
      const last = facts.lastAssignedAt.get(engineer);
      return {
        engineer,
        shift,
        openTickets: facts.openTickets.get(engineer) ?? 0,
        ...(last ? { lastAssignedAt: last } : {}),
      };
    })
    .sort(
      (a, b) =>
        a.openTickets - b.openTickets ||
        (a.lastAssignedAt ?? '').localeCompare(b.lastAssignedAt ?? '') ||
        a.engineer.localeCompare(b.engineer),
    );
}

const openText = (n: number) => `${n} open ticket${n === 1 ? '' : 's'}`;

/** `alice: on call at site-a (Mon 06:00–14:00 Europe/Berlin), skill bearings, 1 open ticket (fewest of 2)`. */
export function candidateReason(
  best: Candidate,
  of: number,
  site: string,
  skill: string | undefined,
): string {
  return [
    `on call at ${site} (${best.shift})`,
    ...(skill ? [`skill ${skill}`] : []),
    `${openText(best.openTickets)} (${of === 1 ? 'the only one eligible' : `fewest of ${of}`})`,
  ].join(', ');
}

/** The site lead, when they may take the site's tickets. */
export function leadOf(config: RoutingConfig, site: string, facts: RoutingFacts): string | undefined {
  const lead = siteSchedule(config, site)?.lead;
  return lead !== undefined && canTake(facts.users, lead, site) ? lead : undefined;
}

/** Who gets a new ticket under a rule, and why in words. */
export function chooseAssignee(
  config: RoutingConfig,
  rule: RoutingRule,
  ticket: TicketFacts,
  facts: RoutingFacts,
): Decision {
  const prefix = `rule "${rule.name}"`;
  const candidates = eligibleOnCall(config, ticket.site, rule.skill, facts);
  const best = candidates[0];
  if (best) {
    return {
      assignee: best.engineer,
      reason: `${prefix}: ${candidateReason(best, candidates.length, ticket.site, rule.skill)}`,
      lead: false,
    };
  }
  const nobody = `nobody${rule.skill ? ` with skill ${rule.skill}` : ''} on call at ${ticket.site}`;
  const lead = leadOf(config, ticket.site, facts);
  if (lead) return { assignee: lead, reason: `${prefix}: ${nobody}; site lead`, lead: true };
  const named = siteSchedule(config, ticket.site)?.lead;
  return {
    reason: `${prefix}: ${nobody}, and ${
      named
        ? `the site lead '${named}' is not an enabled engineer who can see ${ticket.site}`
        : 'no site lead'
    }`,
  };
}
