// What leaves the auth domain: users without their secrets.
import type { User, RoleAssignment } from './models.ts';
import { toVnIso } from '../time.ts';

/** A user for pages and JSON (no password hash, no lock counters); `isLocked` says whether failed logins lock them out now. */
export function presentUser(u: User & { roles?: RoleAssignment[] }, isLocked = false) {
  return {
    id: u.id,
    username: u.username,
    fullName: u.fullName,
    email: u.email,
    phone: u.phone,
    locale: u.locale,
    status: u.status,
    isLocked,
    lastLoginAt: toVnIso(u.lastLoginAt),
    createdAt: toVnIso(u.createdAt),
    roles: (u.roles ?? []).map((r) => r.role),
  };
}
