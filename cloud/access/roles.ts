import { ROLES, type UserRole } from '../../shared/schema/access.js';

export { ROLES };
export type Role = UserRole;

/** 'all' rather than a list, so a site added later is visible without editing every user. */
export type UserSites = readonly string[] | 'all';

export interface AuthenticatedUser {
  username: string;
  role: Role;
  sites: UserSites;
}

export const isRole = (value: string): value is Role => (ROLES as readonly string[]).includes(value);

/** admin ≥ engineer ≥ viewer. */
export const hasRole = (user: Pick<AuthenticatedUser, 'role'>, minimum: Role): boolean =>
  ROLES.indexOf(user.role) >= ROLES.indexOf(minimum);

export const canSeeSite = (user: Pick<AuthenticatedUser, 'sites'>, site: string): boolean =>
  user.sites === 'all' || user.sites.includes(site);

/** The sites a query must be limited to; undefined means no limit. */
export const visibleSites = (user: Pick<AuthenticatedUser, 'sites'>): readonly string[] | undefined =>
  user.sites === 'all' ? undefined : user.sites;
