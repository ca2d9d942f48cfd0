// Users, roles, login with lockout, sessions, and the org-scope rules every domain relies on.
import crypto from 'node:crypto';
import { Op, UniqueConstraintError, type Transaction } from 'sequelize';
import { User, RoleAssignment, Session, ROLES, type Role } from './models.ts';
import { hashPassword, verifyPassword, checkPasswordStrength } from './password.ts';
import { hitRateLimit, reserveLoginAttempt, lockIfSpent, resetLogin, clearLoginLocks, lockedNames, type ThrottleScope } from './throttle.ts';
import { sealRegistration, openRegistration, REGISTRATION_LINK_HOURS } from './registration-token.ts';
import { sendAccountMail } from './mail.ts';
import { t as tr } from '../i18n/index.ts';
import { log } from '../log.ts';
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

/** The viewer of the account with this username, and whether it may still act; null when there is none. */
export async function loadViewerByUsername(username: string): Promise<{ viewer: Viewer; isActive: boolean } | null> {
  const user = await User.findOne({ where: { username } });
  if (!user) return null;
  return { viewer: await loadViewer(user), isActive: user.status === 'active' };
}

/** A user by id or username, or null (for domains that act for a named person). */
export async function findUser(by: { userId?: number; username?: string }): Promise<User | null> {
  return by.userId !== undefined ? User.findByPk(by.userId) : User.findOne({ where: { username: by.username ?? '' } });
}

/** Active users named by username or holding one of the roles (anywhere), at most `limit` of them. */
export async function findActiveUsers(q: { usernames?: string[]; roles?: Role[] }, limit = 5000): Promise<User[]> {
  const usernames = q.usernames ?? [];
  const roles = q.roles ?? [];
  const byRole = roles.length ? (await RoleAssignment.findAll({ where: { role: roles }, attributes: ['userId'], limit })).map((r) => r.userId) : [];
  if (!usernames.length && !byRole.length) return [];
  return User.findAll({
    where: { status: 'active', [Op.or]: [...(usernames.length ? [{ username: usernames }] : []), ...(byRole.length ? [{ id: [...new Set(byRole)] }] : [])] },
    limit,
  });
}

/** Active users who hold a role over the whole system. */
export async function listSystemUsers(role: Role, limit = 1000): Promise<User[]> {
  const ids = (await RoleAssignment.findAll({ where: { role, orgUnitId: null }, attributes: ['userId'], limit })).map((r) => r.userId);
  if (!ids.length) return [];
  return User.findAll({ where: { id: [...new Set(ids)], status: 'active' }, limit });
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

/** A new user whose password was checked and hashed earlier (a confirmed registration). */
type NewUserWithHash = Omit<NewUser, 'password'> & { passwordHash: string };

/** Creates a user with roles; checks password strength, uniqueness and that the actor may grant those roles. */
export async function createUser(input: NewUser | NewUserWithHash, by: Viewer | null, transaction?: Transaction): Promise<User> {
  if ('password' in input) {
    const weak = checkPasswordStrength(input.password, { username: input.username, email: input.email });
    if (weak) throw BadRequest(weak);
  }
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
  const passwordHash = 'password' in input ? await hashPassword(input.password) : input.passwordHash;
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

/** Counts a request against each limit in turn; the first one spent answers 429 with when to retry. */
async function enforceRateLimits(checks: Array<[ThrottleScope, string | null | undefined, number]>): Promise<void> {
  const windowSeconds = getConfig().authRateWindowSeconds;
  for (const [scope, value, limit] of checks) {
    if (!value) continue;
    const wait = await hitRateLimit(scope, value, limit, windowSeconds);
    if (wait !== null) {
      log.warn('rate limit reached', { scope });
      throw TooMany('auth.rateLimited', { minutes: Math.ceil(wait / 60), retryAfter: wait });
    }
  }
}

/**
 * Self-registration of a citizen. The answer is the same whether or not the address already has an
 * account (so the form cannot tell who is registered): a new address gets a link that creates the
 * account when opened; a registered one gets a notice telling its owner to log in instead.
 */
export async function registerCitizen(input: { fullName: string; email: string; phone?: string; password: string; locale?: 'vi' | 'en' }, ip?: string | null): Promise<void> {
  const cfg = getConfig();
  const email = input.email.trim().toLowerCase();
  await enforceRateLimits([['register-ip', ip, cfg.registerRatePerIp], ['register-mail', email, cfg.registerRatePerEmail]]);
  const weak = checkPasswordStrength(input.password, { username: email, email });
  if (weak) throw BadRequest(weak);
  // Hashed for both kinds of address, so both answers take as long.
  const passwordHash = await hashPassword(input.password);
  const existing = await User.findOne({ where: { [Op.or]: [{ email }, { username: email }] } });
  const locale = input.locale ?? 'vi';
  if (existing) {
    await appendAudit({ username: email, ip }, { action: 'user.register.existing', targetType: 'user', targetId: existing.id });
    await sendAccountMail(email, tr(existing.locale, 'auth.mail.existingSubject'), tr(existing.locale, 'auth.mail.existingBody', { name: existing.fullName, loginUrl: `${cfg.baseUrl}/login` }));
    return;
  }
  const token = sealRegistration({ email, fullName: input.fullName.trim(), phone: input.phone?.trim() || null, locale, passwordHash });
  await appendAudit({ username: email, ip }, { action: 'user.register.requested' });
  await sendAccountMail(email, tr(locale, 'auth.mail.confirmSubject'), tr(locale, 'auth.mail.confirmBody', { name: input.fullName.trim(), link: `${cfg.baseUrl}/register/confirm?token=${token}`, hours: REGISTRATION_LINK_HOURS }));
}

/** The address a registration link is for, or null when the link is altered or expired. */
export function peekRegistration(token: string): { email: string; fullName: string } | null {
  const r = openRegistration(token);
  return r ? { email: r.email, fullName: r.fullName } : null;
}

/** Creates the citizen account of a registration link and logs its owner in, in one transaction with its audit rows. */
export async function confirmRegistration(token: string, ip: string | null, userAgent: string | null): Promise<LoginResult> {
  const r = openRegistration(token);
  if (!r) throw BadRequest('auth.confirmInvalid');
  try {
    return await inTransaction(async (t) => {
      const user = await createUser({ username: r.email, fullName: r.fullName, email: r.email, phone: r.phone, locale: r.locale, passwordHash: r.passwordHash, roles: [{ role: 'citizen' }] }, null, t);
      await appendAudit({ id: user.id, username: user.username, ip }, { action: 'user.register', targetType: 'user', targetId: user.id }, t);
      return { user, sessionId: await startSession(user, ip, userAgent, t) };
    });
  } catch (err) {
    // A second click on the link, or an account made for the address meanwhile.
    if (err instanceof AppError && err.code === 'auth.userExists') throw Conflict('auth.confirmUsed');
    throw err;
  }
}

/** Result of a successful login. */
export interface LoginResult {
  user: User;
  sessionId: string;
}

// An scrypt hash with the same cost as real ones, checked when the username is unknown.
const ABSENT_HASH = 'scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

function lockedError(until: Date) {
  const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  return TooMany('auth.locked', { minutes: Math.ceil(seconds / 60), retryAfter: seconds });
}

async function startSession(user: User, ip: string | null, userAgent: string | null, t: Transaction): Promise<string> {
  const sessionId = crypto.randomBytes(32).toString('base64url');
  await user.update({ lastLoginAt: new Date() }, { transaction: t });
  await Session.create({ id: sessionId, userId: user.id, ip, userAgent: userAgent?.slice(0, 255) ?? null, expiresAt: new Date(Date.now() + getConfig().sessionHours * 3600000) }, { transaction: t });
  await appendAudit({ id: user.id, username: user.username, ip }, { action: 'auth.login', targetType: 'user', targetId: user.id }, t);
  return sessionId;
}

/**
 * Checks credentials. Rate limits per client IP and per submitted username come first; then one
 * password check is reserved atomically for the submitted username (known or not), so concurrent
 * guesses never check more than LOGIN_MAX_FAILURES passwords before the lock, which lasts
 * LOGIN_LOCK_MINUTES and doubles each time. Unknown usernames, wrong passwords and disabled accounts
 * get the same answer after the same work.
 */
export async function login(username: string, password: string, ip: string | null, userAgent: string | null): Promise<LoginResult> {
  const cfg = getConfig();
  const name = username.trim().toLowerCase();
  await enforceRateLimits([['login-ip', ip, cfg.loginRatePerIp], ['login-name', name, cfg.loginRatePerUsername]]);
  const reservation = await reserveLoginAttempt(name, cfg.loginMaxFailures, cfg.loginLockMinutes);
  const user = await User.findOne({ where: { [Op.or]: [{ username: name }, { email: name }] } });
  const actor = { id: user?.id ?? null, username: user?.username ?? name, ip };
  const target = user ? { targetType: 'user', targetId: user.id } : {};
  if (!reservation.ok) {
    await appendAudit(actor, { action: 'auth.login.locked', ...target });
    throw lockedError(reservation.until);
  }
  const isRight = await verifyPassword(password, user?.passwordHash ?? ABSENT_HASH);
  if (user && isRight && user.status === 'active') {
    const sessionId = await inTransaction(async (t) => {
      await resetLogin(name, t);
      return startSession(user, ip, userAgent, t);
    });
    return { user, sessionId };
  }
  const reason = !user ? 'unknown-user' : !isRight ? 'bad-password' : 'disabled';
  await inTransaction(async (t) => {
    const lockedUntil = await lockIfSpent(name, cfg.loginMaxFailures, cfg.loginLockMinutes, t);
    await appendAudit(actor, { action: lockedUntil ? 'auth.login.lockout' : 'auth.login.failed', ...target, detail: { reason } }, t);
  });
  throw Unauthorized('auth.badCredentials');
}

/** The CSRF token of a logged-in session: derived from its id, so it changes at every login and fits only that session. */
export function csrfTokenFor(sessionId: string): string {
  return crypto.createHmac('sha256', getConfig().secret).update(`csrf\0${sessionId}`).digest('base64url');
}

/** Which of some users are locked out by failed logins now (under their username or their e-mail). */
export async function lockedUserIds(users: User[]): Promise<Set<number>> {
  const locked = await lockedNames(users.flatMap((u) => [u.username, ...(u.email ? [u.email] : [])]));
  return new Set(users.filter((u) => locked.has(u.username) || (u.email && locked.has(u.email))).map((u) => u.id));
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
  await inTransaction(async (t) => {
    if (viewer.sessionId) await Session.destroy({ where: { id: viewer.sessionId }, transaction: t });
    await appendAudit(actorOf(viewer), { action: 'auth.logout', targetType: 'user', targetId: viewer.userId }, t);
  });
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

/** Enables or disables a user (audited); a disabled user's sessions end at once, and either way a failed-login lock is lifted. */
export async function setUserStatus(by: Viewer, userId: number, status: 'active' | 'disabled'): Promise<void> {
  const user = await getManagedUser(by, userId);
  if (user.id === by.userId) throw new AppError('auth.cannotDisableSelf', 409);
  await inTransaction(async (t) => {
    await user.update({ status }, { transaction: t });
    await clearLoginLocks([user.username, ...(user.email ? [user.email] : [])], t);
    if (status === 'disabled') await Session.destroy({ where: { userId: user.id }, transaction: t });
    await appendAudit(actorOf(by), { action: `user.${status === 'active' ? 'enable' : 'disable'}`, targetType: 'user', targetId: user.id }, t);
  });
}
