// Who gets a "task assigned" message: the people a new task names, as the access module decides it.
// Auth's user lookup finds the possible people (by username, or holding a role a
// candidate group names); `isCandidate` then keeps those the task really covers.
import type { Role } from '../auth/models.ts';
import { findActiveUsers, listSystemUsers, loadViewer } from '../auth/service.ts';
import { isCandidate, OrgPaths, type Assignment } from '../access/index.ts';
import { getOrgsByIds } from '../orgs/service.ts';
import type { Recipient } from './service.ts';

/** Most people one task notifies (a group over a whole ministry should not mail thousands). */
export const MAX_TASK_RECIPIENTS = 200;

const split = (list: string | null) => (list ?? '').split(',').map((s) => s.trim()).filter(Boolean);

/** The active users a task names (its assignee alone once it has one), as recipients. */
export async function taskRecipients(task: Assignment): Promise<Recipient[]> {
  const names = task.assignee ? [task.assignee] : split(task.candidateUsers);
  const roles = task.assignee ? [] : [...new Set(split(task.candidateGroups).map((g) => g.split('@')[0]))];
  // A task that names nobody is open to every officer and leader: too wide to notify.
  if (!names.length && !roles.length) return [];
  const users = await findActiveUsers({ usernames: names, roles: roles as Role[] });
  const orgs = new OrgPaths();
  const homes = await getOrgsByIds(users.flatMap((u) => (u.orgUnitId ? [u.orgUnitId] : [])));
  const out: Recipient[] = [];
  for (const u of users) {
    if (out.length >= MAX_TASK_RECIPIENTS) break;
    if (!(await isCandidate(await loadViewer(u), task, orgs))) continue;
    out.push({ userId: u.id, fullName: u.fullName, email: u.email, phone: u.phone, locale: u.locale === 'en' ? 'en' : 'vi', orgCode: u.orgUnitId ? (homes.get(u.orgUnitId)?.code ?? null) : null });
  }
  return out;
}

/** Active administrators of the whole system (who get the admin alerts). */
export async function systemAdmins(): Promise<Recipient[]> {
  const users = await listSystemUsers('admin');
  return users.map((u) => ({ userId: u.id, fullName: u.fullName, email: u.email, phone: u.phone, locale: u.locale === 'en' ? 'en' : 'vi', orgCode: null }));
}
