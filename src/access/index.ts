// The one module that decides who may do what: roles held over an org subtree, system-wide roles,
// candidates of a task. Every domain asks here; the engine stores candidate groups as data only.
import { ROLES, type Role } from '../auth/models.ts';
import { Forbidden } from '../errors.ts';
import { getOrgByCode, isInSubtree } from '../orgs/service.ts';

/** A role the viewer holds, with the org subtree it covers (null org: everywhere). */
export interface ViewerRole {
  role: Role;
  orgUnitId: number | null;
  orgCode: string | null;
  orgName: string | null;
  orgPath: string | null;
}

/** The logged-in caller as every service sees them. */
export interface Viewer {
  userId: number;
  username: string;
  fullName: string;
  locale: 'vi' | 'en';
  orgUnitId: number | null;
  orgCode: string | null;
  orgName: string | null;
  roles: ViewerRole[];
  sessionId?: string;
  ip?: string | null;
}

/** Roles that act for an org unit (everyone but citizens). */
export const STAFF_ROLES: readonly Role[] = ['admin', 'designer', 'officer', 'leader'];

/** Whether the viewer holds any of the roles (anywhere). */
export function hasRole(viewer: Viewer | null | undefined, ...roles: Role[]): boolean {
  return !!viewer && viewer.roles.some((r) => roles.includes(r.role));
}

/** Whether the viewer holds one of the roles over the whole system (not only a subtree). */
export function hasSystemRole(viewer: Viewer | null | undefined, ...roles: Role[]): boolean {
  return !!viewer && viewer.roles.some((r) => roles.includes(r.role) && r.orgPath === null);
}

/** Whether the viewer holds a staff role at all (a citizen-only account holds none). */
export function isStaff(viewer: Viewer | null | undefined): boolean {
  return hasRole(viewer, ...STAFF_ROLES);
}

/** Whether one of the viewer's roles (of the given kinds) covers the unit with this path. */
export function canAccessOrg(viewer: Viewer, orgPath: string, roles: readonly Role[] = STAFF_ROLES): boolean {
  return viewer.roles.some((r) => roles.includes(r.role) && (r.orgPath === null || isInSubtree(orgPath, r.orgPath)));
}

/** The root paths of the subtrees the viewer's roles (of the given kinds) cover; null means everywhere. */
export function scopePaths(viewer: Viewer, roles: readonly Role[] = STAFF_ROLES): string[] | null {
  const held = viewer.roles.filter((r) => roles.includes(r.role));
  if (held.some((r) => r.orgPath === null)) return null;
  return held.map((r) => r.orgPath as string);
}

/** Throws 403 unless one of the viewer's roles (of the given kinds) covers the unit with this path. */
export function assertOrgAccess(viewer: Viewer, orgPath: string, roles?: readonly Role[]): void {
  if (!canAccessOrg(viewer, orgPath, roles)) throw Forbidden('errors.outOfScope');
}

/** Throws 403 unless the viewer holds one of the roles system-wide. */
export function assertSystemRole(viewer: Viewer, ...roles: Role[]): void {
  if (!hasSystemRole(viewer, ...roles)) throw Forbidden('errors.outOfScope');
}

/** What a task says about who may work on it (stored by the engine as data). */
export interface Assignment {
  assignee: string | null;
  candidateUsers: string | null;
  candidateGroups: string | null;
  /** The org unit the task belongs to (its group's unit, else its instance's); null: none. */
  orgCode?: string | null;
}

function split(list: string | null): string[] {
  return (list ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

/** Resolves org codes to paths once per request. */
export class OrgPaths {
  private readonly known = new Map<string, string | null>();
  /** The materialized path of the unit with this code, or null when there is none. */
  async of(code: string): Promise<string | null> {
    if (!this.known.has(code)) {
      try {
        this.known.set(code, (await getOrgByCode(code)).path);
      } catch {
        this.known.set(code, null);
      }
    }
    return this.known.get(code) ?? null;
  }
}

/** Whether a candidate group (`role` or `role@orgCode`) covers the viewer. */
async function inGroup(viewer: Viewer, group: string, orgs: OrgPaths): Promise<boolean> {
  const [role, code] = group.split('@');
  // A citizen acts only on tasks addressed to them by username, never through a group.
  const held = viewer.roles.filter((r) => r.role === role && r.role !== 'citizen');
  if (!held.length) return false;
  if (!code) return true;
  if (held.some((r) => r.orgPath === null || r.orgCode === code)) return true;
  const path = await orgs.of(code);
  return !!path && held.some((r) => r.orgPath !== null && isInSubtree(path, r.orgPath));
}

/** Whether the viewer is among a task's candidates (assignee, candidate users or groups). */
export async function isCandidate(viewer: Viewer, task: Assignment, orgs = new OrgPaths()): Promise<boolean> {
  if (task.assignee === viewer.username) return true;
  if (split(task.candidateUsers).includes(viewer.username)) return true;
  for (const g of split(task.candidateGroups)) if (await inGroup(viewer, g, orgs)) return true;
  // A task with no assignment at all is open to the officers and leaders over its org unit; without a
  // unit nobody is its candidate (admins of the whole system still see it).
  if (!task.assignee && !task.candidateUsers && !task.candidateGroups) {
    const path = task.orgCode ? await orgs.of(task.orgCode) : null;
    return !!path && canAccessOrg(viewer, path, ['officer', 'leader']);
  }
  return false;
}

/** Whether one of the viewer's roles covers a unit, where a null path (no unit) needs the role system-wide. */
export function canActOnOrg(viewer: Viewer, orgPath: string | null, roles: readonly Role[] = STAFF_ROLES): boolean {
  return orgPath === null ? hasSystemRole(viewer, ...roles) : canAccessOrg(viewer, orgPath, roles);
}

/** Throws 403 unless canActOnOrg. */
export function assertActOnOrg(viewer: Viewer, orgPath: string | null, roles?: readonly Role[]): void {
  if (!canActOnOrg(viewer, orgPath, roles)) throw Forbidden('errors.outOfScope');
}

/**
 * Whether a user (as a viewer) could be a candidate of a task if nobody held it: a staff member of the
 * right role over its unit, or a person the task names as candidate user. A citizen is never handed an
 * official task.
 */
export async function couldBeCandidate(target: Viewer, task: Assignment, orgs = new OrgPaths()): Promise<boolean> {
  if (split(task.candidateUsers).includes(target.username)) return true;
  if (!isStaff(target)) return false;
  return isCandidate(target, { assignee: null, candidateUsers: task.candidateUsers, candidateGroups: task.candidateGroups, orgCode: task.orgCode ?? null }, orgs);
}

/** Whether the viewer may free a task held by someone who cannot act (a leader or admin over its unit). */
export function canUnassign(viewer: Viewer, taskOrgPath: string | null): boolean {
  return canActOnOrg(viewer, taskOrgPath, ['leader', 'admin']);
}

/** The roles a candidate group may name: staff roles (a citizen is addressed by username only). */
const GROUP_ROLES: readonly string[] = ROLES.filter((r) => r !== 'citizen');

/** Why a new task's assignment is unacceptable (unknown role, unknown org unit), or null; the engine's assignment check. */
export async function assignmentProblem(p: { candidateGroups: Array<{ role: string; orgCode: string | null }> }, orgs: Pick<OrgPaths, 'of'> = new OrgPaths()): Promise<string | null> {
  for (const g of p.candidateGroups) {
    if (!GROUP_ROLES.includes(g.role)) return `candidate group "${g.role}" names no staff role`;
    if (g.orgCode && !(await orgs.of(g.orgCode))) return `candidate group "${g.role}@${g.orgCode}" names no existing org unit`;
  }
  return null;
}

/** Who a process names as its starters (Camunda 7 `candidateStarterGroups` / `candidateStarterUsers`). */
export interface Starters {
  groups: string[];
  users: string[];
}

/**
 * Whether the viewer may start a process: a staff member named by its starters (a group `role` or
 * `role@orgCode` covering them, or their username); a process that names none is open to every staff
 * member (the unit they start it for is checked at the start); a system-wide admin always may.
 */
export async function mayStartProcess(viewer: Viewer, starters: Starters, orgs = new OrgPaths()): Promise<boolean> {
  if (!isStaff(viewer)) return false;
  if (!starters.groups.length && !starters.users.length) return true;
  if (hasSystemRole(viewer, 'admin') || starters.users.includes(viewer.username)) return true;
  for (const g of starters.groups) if (await inGroup(viewer, g, orgs)) return true;
  return false;
}

/** A machine caller of `/engine-rest`: an API client an admin issued, scoped to topics and process keys. */
export interface MachineCaller {
  clientId: string;
  name: string;
  topics: readonly string[];
  processes: readonly string[];
}

/** Whether an API client may fetch and answer external tasks of a topic (`*` grants every topic). */
export function canServeTopic(caller: MachineCaller, topic: string): boolean {
  return caller.topics.includes('*') || caller.topics.includes(topic);
}

/** Whether an API client may start, or correlate messages into, instances of a process key (`*`: every key). */
export function canStartProcess(caller: MachineCaller, key: string): boolean {
  return caller.processes.includes('*') || caller.processes.includes(key);
}

/** Throws 403 unless the API client may serve every topic named. */
export function assertTopics(caller: MachineCaller, topics: readonly string[]): void {
  const denied = topics.find((t) => !canServeTopic(caller, t));
  if (denied !== undefined) throw Forbidden('apiclients.topicForbidden', { topic: denied });
}
