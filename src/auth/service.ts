// Users, roles, login with lockout, sessions, and the org-scope rules every domain relies on.
import crypto from 'node:crypto';
import { Op, UniqueConstraintError, type Transaction } from 'sequelize';
import { User, RoleAssignment, Session, ROLES, type Role } from './models.ts';
import { hashPassword, verifyPassword, checkPasswordStrength } from './password.ts';
import { getOrgsByIds, getOrgByCode, listOrgIdsInSubtrees } from '../orgs/service.ts';
import { assertOrgAccess, hasRole, hasSystemRole, type Viewer } from '../access/index.ts';
import { appendAudit, type Actor } from '../audit/service.ts';
import { AppError, BadRequest, Conflict, Forbidden, NotFound, TooMany, Unauthorized } from '../errors.ts';
import { getConfig } from '../config.ts';
import { inTransaction } from '../store/index.ts';

/** The audit actor for a viewer. */
export function actorOf(viewer: Viewer | null | undefined): Actor | null {
  if (!viewer) return null;
  return { id: viewer.userId, username: viewer.username, orgCode: viewer.orgCode, ip: viewer.ip ?? null };
}

/** Builds the viewer of a user: their roles with org paths, in one query for the orgs. */
export async function loadViewer(user: User): Promise<Viewer> {
  const assignments = await RoleAssignment.findAll({ where: { userId: user.id }, order: [['id', 'ASC']] });
  const orgs = await getOrgsByIds([...(user.orgUnitId ? [user.orgUnitId] : []), ...assignments.flatMap((a) => (a.orgUnitId ? [a.orgUnitId] : []))]);
  const home = user.orgUnitId ? orgs.get(user.orgUnitId) : undefined;
  return {
    userId: user.id,
    username: user.username,
    fullName: user.fullName,
    locale: user.locale,
    orgUnitId: user.orgUnitId,
    orgCode: home?.code ?? null,
    orgName: home?.name ?? null,
    roles: assignments.map((a) => {
      const org = a.orgUnitId ? orgs.get(a.orgUnitId) : undefined;
      return { role: a.role, orgUnitId: a.orgUnitId, orgCode: org?.code ?? null, orgName: org?.name ?? null, orgPath: org?.path ?? null };
    }),
  };
}

/** Input for creating a user. */
export interface NewUser {
  username: string;
  fullName: string;
  email?: string | null;
  phone?: string | null;
  orgCode?: string | null;
  locale?: 'vi' | 'en';
  password: string;
  roles?: Array<{ role: Role; orgCode?: string | null }>;
}

/** Creates a user with roles; checks password strength, uniqueness and that the actor may grant those roles. */
export async function createUser(input: NewUser, by: Viewer | null, transaction?: Transaction): Promise<User> {
  const weak = checkPasswordStrength(input.password);
  if (weak) throw BadRequest(weak);
  const org = input.orgCode ? await getOrgByCode(input.orgCode) : null;
  // The new user's home unit must lie in the actor's scope too, or a subtree admin could place users
  // in another province (where they would then be out of that admin's sight).
  if (by && !hasSystemRole(by, 'admin')) {
    if (!org) throw Forbidden('errors.outOfScope');
    assertOrgAccess(by, org.path, ['admin']);
  }
  const roleOrgs = await Promise.all((input.roles ?? []).map(async (r) => ({ role: r.role, org: r.orgCode ? await getOrgByCode(r.orgCode) : null })));
  for (const r of roleOrgs) {
    if (!ROLES.includes(r.role)) throw BadRequest('auth.unknownRole', { role: r.role });
    // An admin of a subtree grants roles only inside it; only a system-wide admin grants system-wide roles.
    if (by && r.role !== 'citizen') {
      if (!r.org) {
        if (!hasSystemRole(by, 'admin')) throw Forbidden('errors.outOfScope');
      } else assertOrgAccess(by, r.org.path, ['admin']);
    }
  }
  const passwordHash = await hashPassword(input.password);
  return inTransaction(async (t) => {
    let user: User;
    try {
      user = await User.create({
        username: input.username.trim().toLowerCase(),
        fullName: input.fullName.trim(),
        email: input.email?.trim().toLowerCase() || null,
        phone: input.phone?.trim() || null,
        orgUnitId: org?.id ?? null,
        locale: input.locale ?? 'vi',
        passwordHash,
      }, { transaction: t });
    } catch (err) {
      if (err instanceof UniqueConstraintError) throw Conflict('auth.userExists', { username: input.username });
      throw err;
    }
    for (const r of roleOrgs) await RoleAssignment.create({ userId: user.id, role: r.role, orgUnitId: r.org?.id ?? null }, { transaction: t });
    await appendAudit(actorOf(by), { action: 'user.create', targetType: 'user', targetId: user.id, detail: { username: user.username, roles: (input.roles ?? []) } }, t);
    return user;
  }, transaction);
}

/** Self-registration of a citizen with e-mail and password. */
export async function registerCitizen(input: { fullName: string; email: string; phone?: string; password: string; locale?: 'vi' | 'en' }, ip?: string | null): Promise<User> {
  const email = input.email.trim().toLowerCase();
  if (await User.findOne({ where: { [Op.or]: [{ email }, { username: email }] } })) throw Conflict('auth.emailTaken');
  const user = await createUser({ username: email, fullName: input.fullName, email, phone: input.phone, password: input.password, locale: input.locale, roles: [{ role: 'citizen' }] }, null);
  await appendAudit({ id: user.id, username: user.username, ip }, { action: 'user.register', targetType: 'user', targetId: user.id });
  return user;
}

/** Result of a successful login. */
export interface LoginResult {
  user: User;
  sessionId: string;
}

/** Checks credentials with back-off: after N failures the account locks for M minutes, doubling each time. */
export async function login(username: string, password: string, ip: string | null, userAgent: string | null): Promise<LoginResult> {
  const cfg = getConfig();
  const name = username.trim().toLowerCase();
  const user = await User.findOne({ where: { [Op.or]: [{ username: name }, { email: name }] } });
  if (!user) {
    // Spend the same time as a real check so response timing does not reveal which usernames exist.
    await verifyPassword(password, 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    await appendAudit({ username: name, ip }, { action: 'auth.login.failed', detail: { reason: 'unknown-user' } });
    throw Unauthorized('auth.badCredentials');
  }
  if (user.lockedUntil && user.lockedUntil.getTime() > Date.now()) {
    await appendAudit({ id: user.id, username: user.username, ip }, { action: 'auth.login.locked', targetType: 'user', targetId: user.id });
    const minutes = Math.ceil((user.lockedUntil.getTime() - Date.now()) / 60000);
    throw TooMany('auth.locked', { minutes });
  }
  if (user.status !== 'active') throw Forbidden('auth.disabled');
  if (!(await verifyPassword(password, user.passwordHash))) {
    const failed = user.failedLogins + 1;
    const locking = failed >= cfg.loginMaxFailures;
    await user.update(locking
      ? { failedLogins: 0, lockCount: user.lockCount + 1, lockedUntil: new Date(Date.now() + cfg.loginLockMinutes * 60000 * 2 ** Math.min(user.lockCount, 6)) }
      : { failedLogins: failed });
    await appendAudit({ id: user.id, username: user.username, ip }, { action: locking ? 'auth.login.lockout' : 'auth.login.failed', targetType: 'user', targetId: user.id });
    throw Unauthorized('auth.badCredentials');
  }
  const sessionId = crypto.randomBytes(32).toString('base64url');
  await inTransaction(async (t) => {
    await user.update({ failedLogins: 0, lockCount: 0, lockedUntil: null, lastLoginAt: new Date() }, { transaction: t });
    await Session.create({ id: sessionId, userId: user.id, ip, userAgent: userAgent?.slice(0, 255) ?? null, expiresAt: new Date(Date.now() + cfg.sessionHours * 3600000) }, { transaction: t });
    await appendAudit({ id: user.id, username: user.username, ip }, { action: 'auth.login', targetType: 'user', targetId: user.id }, t);
  });
  return { user, sessionId };
}

/** Resolves a session id to its viewer, sliding its expiry; null when missing or expired. */
export async function resumeSession(sessionId: string): Promise<Viewer | null> {
  const session = await Session.findByPk(sessionId);
  if (!session) return null;
  if (session.expiresAt.getTime() < Date.now()) {
    await session.destroy();
    return null;
  }
  const user = await User.findByPk(session.userId);
  if (!user || user.status !== 'active') return null;
  const hours = getConfig().sessionHours;
  // Slide the expiry at most once a minute to keep reads cheap.
  const fresh = new Date(Date.now() + hours * 3600000);
  if (fresh.getTime() - session.expiresAt.getTime() > 60000) await session.update({ expiresAt: fresh });
  return { ...(await loadViewer(user)), sessionId };
}

/** Ends a session. */
export async function logout(viewer: Viewer): Promise<void> {
  if (viewer.sessionId) await Session.destroy({ where: { id: viewer.sessionId } });
  await appendAudit(actorOf(viewer), { action: 'auth.logout', targetType: 'user', targetId: viewer.userId });
}

/** Changes the UI language a user prefers. */
export async function setLocale(viewer: Viewer, locale: 'vi' | 'en'): Promise<void> {
  await User.update({ locale }, { where: { id: viewer.userId } });
}

/** Users visible to an admin: those whose home unit lies in the admin's subtree (all for a system admin). */
export async function listUsers(by: Viewer, q: { search?: string; page?: number; pageSize?: number } = {}): Promise<{ rows: Array<User & { roles?: RoleAssignment[] }>; total: number; page: number; pageSize: number }> {
  if (!hasRole(by, 'admin')) throw Forbidden();
  const where: Record<string | symbol, unknown> = {};
  if (q.search) {
    const like = `%${q.search}%`;
    where[Op.or] = [{ username: { [Op.like]: like } }, { fullName: { [Op.like]: like } }, { email: { [Op.like]: like } }];
  }
  const adminPaths = by.roles.filter((r) => r.role === 'admin').map((r) => r.orgPath);
  if (!adminPaths.includes(null)) {
    where.orgUnitId = { [Op.in]: await listOrgIdsInSubtrees(adminPaths as string[]) };
  }
  const pageSize = q.pageSize ?? 50;
  const page = Math.max(1, q.page ?? 1);
  const { rows, count } = await User.findAndCountAll({ where, include: [{ model: RoleAssignment, as: 'roles' }], order: [['username', 'ASC']], limit: pageSize, offset: (page - 1) * pageSize, distinct: true });
  return { rows, total: count, page, pageSize };
}

/** Loads a user an admin may manage, or throws 404/403. */
export async function getManagedUser(by: Viewer, id: number): Promise<User> {
  const user = await User.findByPk(id);
  if (!user) throw NotFound('auth.userNotFound');
  if (!hasSystemRole(by, 'admin')) {
    const orgs = await getOrgsByIds(user.orgUnitId ? [user.orgUnitId] : []);
    const org = user.orgUnitId ? orgs.get(user.orgUnitId) : undefined;
    if (!org) throw Forbidden('errors.outOfScope');
    assertOrgAccess(by, org.path, ['admin']);
  }
  return user;
}

/** Grants a role over an org unit (audited). */
export async function grantRole(by: Viewer, userId: number, role: Role, orgCode: string | null): Promise<void> {
  const user = await getManagedUser(by, userId);
  if (!ROLES.includes(role)) throw BadRequest('auth.unknownRole', { role });
  const org = orgCode ? await getOrgByCode(orgCode) : null;
  if (org) assertOrgAccess(by, org.path, ['admin']);
  else if (!hasSystemRole(by, 'admin')) throw Forbidden('errors.outOfScope');
  await inTransaction(async (t) => {
    try {
      await RoleAssignment.create({ userId: user.id, role, orgUnitId: org?.id ?? null }, { transaction: t });
    } catch (err) {
      if (err instanceof UniqueConstraintError) throw Conflict('auth.roleExists');
      throw err;
    }
    await appendAudit(actorOf(by), { action: 'user.grant', targetType: 'user', targetId: user.id, detail: { role, org: orgCode } }, t);
  });
}

/** Enables or disables a user (audited); a disabled user's sessions end at once. */
export async function setUserStatus(by: Viewer, userId: number, status: 'active' | 'disabled'): Promise<void> {
  const user = await getManagedUser(by, userId);
  if (user.id === by.userId) throw new AppError('auth.cannotDisableSelf', 409);
  await inTransaction(async (t) => {
    await user.update({ status, failedLogins: 0, lockedUntil: null }, { transaction: t });
    if (status === 'disabled') await Session.destroy({ where: { userId: user.id }, transaction: t });
    await appendAudit(actorOf(by), { action: `user.${status === 'active' ? 'enable' : 'disable'}`, targetType: 'user', targetId: user.id }, t);
  });
}
