// Login, logout, citizen registration, language switch and the admin's user screens.
import type { Plugin, Request, ResponseObject, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import { AppError } from '../errors.ts';
import { t } from '../i18n/index.ts';
import { clientIp, mustViewer, safeLocalPath, viewerOf } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import { ROLES, type Role } from './models.ts';
import { PASSWORD_MAX } from './password.ts';
import { login, logout, registerCitizen, peekRegistration, confirmRegistration, csrfTokenFor, lockedUserIds, setLocale, listUsers, createUser, getManagedUser, grantRole, setUserStatus, loadViewer } from './service.ts';
import { presentUser } from './presenters.ts';

const pub = { govflow: { public: true } };
const adminOnly = { govflow: { roles: ['admin'] as Role[] } };

function message(request: Request, err: unknown): string {
  if (err instanceof AppError) return t(request.app.locale, err.code, err.params);
  throw err;
}

/** A failure's status, with `Retry-After` when it is a rate limit or a lock. */
function failed(response: ResponseObject, err: unknown): ResponseObject {
  const status = err instanceof AppError ? err.status : 500;
  const retryAfter = err instanceof AppError ? err.params.retryAfter : undefined;
  if (typeof retryAfter === 'number') response.header('retry-after', String(retryAfter));
  return response.code(status);
}


function userAgentOf(request: Request): string | null {
  return String(request.headers['user-agent'] ?? '') || null;
}

/** Starts a logged-in session: the session cookie, and a CSRF token bound to the new session in place of the anonymous one. */
function setSession(request: Request, h: ResponseToolkit, sessionId: string): void {
  request.cookieAuth.set({ sid: sessionId });
  h.state('crumb', csrfTokenFor(sessionId));
}

const newUserSchema = Joi.object({
  username: Joi.string().trim().pattern(/^[a-z0-9._@-]{3,64}$/i).required(),
  fullName: Joi.string().trim().min(2).max(255).required(),
  email: Joi.string().trim().email({ tlds: false }).allow('').optional(),
  phone: Joi.string().trim().pattern(/^[0-9+ .-]{6,20}$/).allow('').optional(),
  orgCode: Joi.string().trim().max(40).allow('').optional(),
  role: Joi.string().valid(...ROLES).required(),
  roleOrgCode: Joi.string().trim().max(40).allow('').optional(),
  password: Joi.string().min(1).max(200).required(),
});

/** Plugin `govflow/auth`. */
export const authPlugin: Plugin<void> = {
  name: 'govflow/auth',
  register(server) {
    registerNav({ href: '/admin/users', label: 'auth.nav.users', roles: ['admin'], order: 90 });

    server.route([
      {
        method: 'GET',
        path: '/login',
        options: { plugins: pub, validate: { query: Joi.object({ next: Joi.string().allow('').max(500) }).unknown(true) } },
        handler: (request, h) => {
          if (viewerOf(request)) return h.redirect(safeLocalPath(request.query.next));
          return h.view('pages/auth/login', { pageTitle: t(request.app.locale, 'auth.loginTitle'), next: safeLocalPath(request.query.next) });
        },
      },
      {
        method: 'POST',
        path: '/login',
        options: {
          plugins: pub,
          validate: {
            payload: Joi.object({ username: Joi.string().trim().max(255).required(), password: Joi.string().max(200).required(), next: Joi.string().allow('').max(500) }),
            failAction: (request, h) => h.view('pages/auth/login', { pageTitle: t(request.app.locale, 'auth.loginTitle'), error: t(request.app.locale, 'auth.fillBoth'), next: safeLocalPath((request.payload as { next?: unknown } | null)?.next) }).code(400).takeover(),
          },
        },
        handler: async (request, h) => {
          const { username, password, next } = request.payload as { username: string; password: string; next?: string };
          try {
            const { user, sessionId } = await login(username, password, clientIp(request), userAgentOf(request));
            setSession(request, h, sessionId);
            if (!request.state.lang) h.state('lang', user.locale);
            return h.redirect(safeLocalPath(next));
          } catch (err) {
            return failed(h.view('pages/auth/login', { pageTitle: t(request.app.locale, 'auth.loginTitle'), error: message(request, err), username, next: safeLocalPath(next) }), err);
          }
        },
      },
      {
        method: 'POST',
        path: '/logout',
        options: { plugins: { govflow: { roles: [] } } },
        handler: async (request, h) => {
          await logout(mustViewer(request));
          request.cookieAuth.clear();
          // The next page mints a fresh anonymous token.
          h.unstate('crumb');
          return h.redirect('/');
        },
      },
      {
        method: 'GET',
        path: '/register',
        options: { plugins: pub },
        handler: (request, h) => h.view('pages/auth/register', { pageTitle: t(request.app.locale, 'auth.registerTitle'), values: {} }),
      },
      {
        method: 'POST',
        path: '/register',
        options: {
          plugins: pub,
          validate: {
            payload: Joi.object({
              fullName: Joi.string().trim().min(2).max(255).required(),
              email: Joi.string().trim().email({ tlds: false }).required(),
              phone: Joi.string().trim().pattern(/^[0-9+ .-]{6,20}$/).allow(''),
              password: Joi.string().max(PASSWORD_MAX).required(),
            }),
            failAction: (request, h, err) => {
              const field = (err as Joi.ValidationError).details?.[0]?.path?.[0] ?? '';
              return h.view('pages/auth/register', { pageTitle: t(request.app.locale, 'auth.registerTitle'), values: request.payload ?? {}, error: t(request.app.locale, 'auth.registerInvalid', { field: t(request.app.locale, `auth.${String(field)}`) }) }).code(400).takeover();
            },
          },
        },
        handler: async (request, h) => {
          const p = request.payload as { fullName: string; email: string; phone?: string; password: string };
          try {
            await registerCitizen({ ...p, locale: request.app.locale }, clientIp(request));
            return h.view('pages/auth/register-sent', { pageTitle: t(request.app.locale, 'auth.registerSentTitle'), email: p.email.trim().toLowerCase() });
          } catch (err) {
            return failed(h.view('pages/auth/register', { pageTitle: t(request.app.locale, 'auth.registerTitle'), values: { ...p, password: '' }, error: message(request, err) }), err);
          }
        },
      },
      {
        // Opening the link only shows what will be created; the account is made by the button, so a
        // mail scanner that follows links creates nothing.
        method: 'GET',
        path: '/register/confirm',
        options: { plugins: pub, validate: { query: Joi.object({ token: Joi.string().max(4000).required() }), failAction: (request, h) => confirmPage(request, h, '', null).code(400).takeover() } },
        handler: (request, h) => {
          const token = String(request.query.token);
          const pending = peekRegistration(token);
          return pending ? confirmPage(request, h, token, pending) : confirmPage(request, h, '', null).code(400);
        },
      },
      {
        method: 'POST',
        path: '/register/confirm',
        options: { plugins: pub, validate: { payload: Joi.object({ token: Joi.string().max(4000).required() }), failAction: (request, h) => confirmPage(request, h, '', null).code(400).takeover() } },
        handler: async (request, h) => {
          const { token } = request.payload as { token: string };
          try {
            const { sessionId } = await confirmRegistration(token, clientIp(request), userAgentOf(request));
            setSession(request, h, sessionId);
            return h.redirect('/');
          } catch (err) {
            return failed(confirmPage(request, h, '', null, message(request, err)), err);
          }
        },
      },
      {
        method: 'POST',
        path: '/lang',
        options: { plugins: pub, validate: { payload: Joi.object({ locale: Joi.string().valid('vi', 'en').required(), next: Joi.string().allow('').max(500) }) } },
        handler: async (request, h) => {
          const { locale, next } = request.payload as { locale: 'vi' | 'en'; next?: string };
          const viewer = viewerOf(request);
          if (viewer) await setLocale(viewer, locale);
          h.state('lang', locale);
          return h.redirect(safeLocalPath(next));
        },
      },
      {
        method: 'GET',
        path: '/api/me',
        options: { plugins: { govflow: { roles: [] } } },
        handler: (request) => {
          const v = mustViewer(request);
          return { id: v.userId, username: v.username, fullName: v.fullName, locale: v.locale, org: v.orgCode, roles: v.roles.map((r) => ({ role: r.role, org: r.orgCode })) };
        },
      },
      {
        method: 'GET',
        path: '/admin/users',
        options: { plugins: adminOnly, validate: { query: Joi.object({ q: Joi.string().allow('').max(100), page: Joi.number().integer().min(1).default(1) }) } },
        handler: async (request, h) => {
          const { q, page } = request.query as { q?: string; page: number };
          const result = await listUsers(mustViewer(request), { search: q || undefined, page });
          const locked = await lockedUserIds(result.rows);
          return h.view('pages/admin/users', {
            pageTitle: t(request.app.locale, 'auth.users.title'),
            q: q ?? '',
            ...result,
            rows: result.rows.map((u) => presentUser(u, locked.has(u.id))),
            pages: Math.max(1, Math.ceil(result.total / result.pageSize)),
            flash: request.query.created ? t(request.app.locale, 'auth.users.created') : undefined,
          });
        },
      },
      {
        method: 'GET',
        path: '/admin/users/new',
        options: { plugins: adminOnly },
        handler: (request, h) => h.view('pages/admin/user-new', { pageTitle: t(request.app.locale, 'auth.users.newTitle'), roles: ROLES, values: { role: 'officer' } }),
      },
      {
        method: 'POST',
        path: '/admin/users/new',
        options: {
          plugins: adminOnly,
          validate: {
            payload: newUserSchema,
            failAction: (request, h, err) => h.view('pages/admin/user-new', {
              pageTitle: t(request.app.locale, 'auth.users.newTitle'),
              roles: ROLES,
              values: request.payload ?? {},
              errors: (err as Joi.ValidationError).details.map((d) => t(request.app.locale, 'auth.users.fieldInvalid', { field: t(request.app.locale, `auth.${String(d.path[0])}`) })),
            }).code(400).takeover(),
          },
        },
        handler: async (request, h) => {
          const p = request.payload as Record<string, string>;
          const by = mustViewer(request);
          try {
            const user = await createUser({
              username: p.username, fullName: p.fullName, email: p.email || null, phone: p.phone || null,
              orgCode: p.orgCode || null, password: p.password, roles: [{ role: p.role as Role, orgCode: p.roleOrgCode || p.orgCode || null }],
            }, by);
            return h.redirect(`/admin/users/${user.id}?created=1`);
          } catch (err) {
            const status = err instanceof AppError ? err.status : 500;
            return h.view('pages/admin/user-new', { pageTitle: t(request.app.locale, 'auth.users.newTitle'), roles: ROLES, values: { ...p, password: '' }, errors: [message(request, err)] }).code(status);
          }
        },
      },
      {
        method: 'GET',
        path: '/admin/users/{id}',
        options: { plugins: adminOnly, validate: { params: Joi.object({ id: Joi.number().integer().required() }), query: Joi.object({ created: Joi.any(), error: Joi.string().max(100) }) } },
        handler: async (request, h) => {
          const user = await getManagedUser(mustViewer(request), Number(request.params.id));
          const viewer = await loadViewer(user);
          return h.view('pages/admin/user', {
            pageTitle: user.fullName,
            user: presentUser(user, (await lockedUserIds([user])).has(user.id)),
            userRoles: viewer.roles,
            allRoles: ROLES,
            flash: request.query.created ? t(request.app.locale, 'auth.users.created') : undefined,
            error: request.query.error ? t(request.app.locale, String(request.query.error)) : undefined,
          });
        },
      },
      {
        method: 'POST',
        path: '/admin/users/{id}/roles',
        options: {
          plugins: adminOnly,
          validate: { params: Joi.object({ id: Joi.number().integer().required() }), payload: Joi.object({ role: Joi.string().valid(...ROLES).required(), orgCode: Joi.string().trim().allow('').max(40) }) },
        },
        handler: async (request, h) => redirectOnError(h, `/admin/users/${request.params.id}`, async () => {
          const p = request.payload as { role: Role; orgCode?: string };
          await grantRole(mustViewer(request), Number(request.params.id), p.role, p.orgCode || null);
        }),
      },
      {
        method: 'POST',
        path: '/admin/users/{id}/status',
        options: {
          plugins: adminOnly,
          validate: { params: Joi.object({ id: Joi.number().integer().required() }), payload: Joi.object({ status: Joi.string().valid('active', 'disabled').required() }) },
        },
        handler: async (request, h) => redirectOnError(h, `/admin/users/${request.params.id}`, async () => {
          await setUserStatus(mustViewer(request), Number(request.params.id), (request.payload as { status: 'active' | 'disabled' }).status);
        }),
      },
    ]);
  },
};

/** The page of a registration link: what will be created and a button, or why the link cannot be used. */
function confirmPage(request: Request, h: ResponseToolkit, token: string, pending: { email: string; fullName: string } | null, error?: string) {
  return h.view('pages/auth/register-confirm', {
    pageTitle: t(request.app.locale, 'auth.confirmTitle'),
    token,
    pending,
    error: error ?? (pending ? undefined : t(request.app.locale, 'auth.confirmInvalid')),
  });
}

/** Post/Redirect/Get: run the action, then go back to the page, carrying a failure's message key. */
async function redirectOnError(h: ResponseToolkit, to: string, action: () => Promise<void>) {
  try {
    await action();
    return h.redirect(to);
  } catch (err) {
    if (err instanceof AppError && err.status < 500 && err.status !== 403 && err.status !== 404) return h.redirect(`${to}?error=${encodeURIComponent(err.code)}`);
    throw err;
  }
}
