// Assembles the hapi server: views, sessions, CSRF, authorization, languages, errors, static files.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Hapi, { type Request, type ResponseToolkit, type Server, type ServerRoute } from '@hapi/hapi';
import Boom from '@hapi/boom';
import Cookie from '@hapi/cookie';
import Crumb from '@hapi/crumb';
import Inert from '@hapi/inert';
import Vision from '@hapi/vision';
import Joi, { type ValidationError } from 'joi';
import { getConfig } from '../config.ts';
import { AppError } from '../errors.ts';
import { log } from '../log.ts';
import { ping } from '../store/index.ts';
import { t, toLocale, type Locale } from '../i18n/index.ts';
import { resumeSession, csrfTokenFor } from '../auth/service.ts';
import { hasRole, type Viewer } from '../access/index.ts';
import { routeAccess, viewerOf, wantsJson, type RouteAccess } from './route-helpers.ts';
import { DEFAULT_INPUT_LIMITS, findInputProblem, type InputLimits } from './input-guard.ts';
import { createViewEngine } from './views.ts';
import { navFor } from './nav.ts';
import { plugins } from './plugins.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Changes on every start so browsers fetch fresh assets after a deploy. */
export const assetVersion = Date.now().toString(36);

function validationDetails(locale: Locale, err: ValidationError) {
  return err.details.map((d) => {
    const field = d.path.join('.');
    const key = `validation.${d.type}`;
    const message = t(locale, key, { field, limit: d.context?.limit, valids: (d.context?.valids ?? []).join(', ') });
    return { field, type: d.type, message: message === key ? t(locale, 'validation.invalid', { field }) : message };
  });
}

const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; font-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'self'";

/** Adds the headers hapi's route security settings do not cover. */
function withSecurityHeaders<T extends { header(name: string, value: string): unknown }>(response: T): T {
  response.header('content-security-policy', CSP);
  response.header('permissions-policy', 'camera=(), microphone=(), geolocation=()');
  return response;
}

/** The request's language; unmatched paths skip cookie parsing, so the raw header is read then. */
function localeOf(request: Request): Locale {
  if (request.app.locale) return request.app.locale;
  const cookie = String(request.headers.cookie ?? '');
  return toLocale(/(?:^|;\s*)lang=([a-z]+)/.exec(cookie)?.[1]);
}

/** Refuses prototype keys, control characters, deep nesting and oversized text in any part of a request. */
function checkInput(request: Request, rule: RouteAccess | null): void {
  const own = rule?.maxText;
  const limits: InputLimits = own ? { ...DEFAULT_INPUT_LIMITS, maxText: own } : DEFAULT_INPUT_LIMITS;
  const problem = findInputProblem(request.params, 'params', limits, true)
    ?? findInputProblem(request.query, 'query', limits, true)
    ?? findInputProblem(request.payload, 'payload', limits);
  if (!problem) return;
  const locale = request.app.locale ?? 'vi';
  const field = problem.field.replace(/^(params|query|payload)\.?/, '') || problem.field;
  const message = t(locale, `validation.${problem.type}`, { field, limit: problem.limit });
  throw Boom.badRequest(message, { code: 'validation.failed', params: {}, details: [{ field, type: problem.type, message }] });
}

async function onPreResponse(request: Request, h: ResponseToolkit) {
  const response = request.response;
  const locale = localeOf(request);
  request.app.locale = locale;
  if (!('isBoom' in response) || !response.isBoom) {
    if ('header' in response && typeof response.header === 'function') withSecurityHeaders(response);
    return h.continue;
  }
  const err = response as Boom.Boom & Partial<AppError>;
  let status = err.output.statusCode;
  let code = 'errors.internal';
  let message: string;
  let details: unknown;
  if (err instanceof AppError) {
    status = err.status;
    code = err.code;
    message = t(locale, err.code, err.params);
    details = err.details;
  } else if (status === 500) {
    request.app.isErrorLogged = true;
    log.error('unhandled error', { path: request.path, method: request.method, error: String(err.stack ?? err) });
    message = t(locale, 'errors.internal');
  } else {
    code = `errors.http${status}`;
    const own = (err.data as { code?: string; params?: Record<string, unknown>; details?: unknown } | null) ?? null;
    if (own?.code) {
      code = own.code;
      message = t(locale, own.code, own.params);
      details = own.details;
    } else {
      message = t(locale, code) === code ? err.output.payload.message : t(locale, code);
    }
  }
  if (wantsJson(request)) {
    return withSecurityHeaders(h.response({ statusCode: status, error: Boom.boomify(new Error(), { statusCode: status }).output.payload.error, message, code, ...(details !== undefined ? { details } : {}) }).code(status));
  }
  if (status === 401) return h.redirect(`/login?next=${encodeURIComponent(request.url.pathname + request.url.search)}`).takeover();
  return withSecurityHeaders(h.view('pages/error', { status, message, details, code, pageTitle: t(locale, `errors.title${status}`) === `errors.title${status}` ? t(locale, 'errors.titleGeneric') : t(locale, `errors.title${status}`) }).code(status));
}

/**
 * Binds the CSRF token of a logged-in session to it (HMAC of the session id): a write carrying any
 * other token is refused, and a read re-issues the bound token so the page renders it.
 */
function bindCsrf(request: Request, h: ResponseToolkit, viewer: Viewer | null): void {
  if (!viewer?.sessionId) return;
  const expected = csrfTokenFor(viewer.sessionId);
  if (request.state?.crumb === expected) return;
  if (!['get', 'head', 'options'].includes(request.method)) throw Boom.forbidden(undefined, { code: 'errors.csrf' });
  const plugins = request.plugins as { crumb?: string };
  // Only where crumb runs (pages, not API or static files): elsewhere a new cookie would outdate an open page's token.
  if (plugins.crumb === undefined) return;
  plugins.crumb = expected;
  h.state('crumb', expected);
}

/** Builds the server with every domain plugin; call `start()` or `inject()` on it. */
export async function createServer(): Promise<Server> {
  const cfg = getConfig();
  const isSecure = cfg.baseUrl.startsWith('https://');
  const server = Hapi.server({
    port: cfg.port,
    host: cfg.host,
    router: { stripTrailingSlash: true },
    routes: {
      security: { hsts: isSecure, xframe: 'deny', noSniff: true, referrer: 'same-origin', xss: 'disabled' },
      validate: {
        // Report every bad field at once, not only the first one.
        options: { abortEarly: false },
        failAction: async (request, _h, err) => {
          const details = validationDetails(request.app.locale ?? 'vi', err as ValidationError);
          throw Boom.badRequest(details.map((d) => d.message).join('; '), { code: 'validation.failed', params: {}, details });
        },
      },
      payload: { maxBytes: 25 * 1024 * 1024 },
    },
    state: { strictHeader: false, ignoreErrors: true },
  });

  await server.register([Inert, Vision]);
  await server.register(Cookie as Hapi.Plugin<void>);
  await server.register({
    plugin: Crumb as Hapi.Plugin<Record<string, unknown>>,
    options: {
      key: 'crumb',
      cookieOptions: { isSecure, isHttpOnly: true, isSameSite: 'Lax', path: '/' },
      // API calls carry the token in a header instead; checked below. A route with `crumb: false` is
      // skipped whole: crumb would otherwise mint a new token for it and overwrite the page's cookie
      // (a stylesheet loaded after the page broke every form).
      skip: (request: Request) => request.path.startsWith('/api/') || (request.route.settings.plugins as { crumb?: unknown } | undefined)?.crumb === false,
    },
  });

  server.views({
    engines: { njk: createViewEngine(path.join(root, 'templates')) },
    relativeTo: root,
    path: 'templates',
    isCached: cfg.nodeEnv === 'production',
    context: (request: Request | null) => {
      if (!request) return {};
      const locale = request.app.locale ?? 'vi';
      const viewer = viewerOf(request);
      return {
        locale,
        viewer,
        roleLabels: viewer ? [...new Set(viewer.roles.map((r) => t(locale, `roles.${r.role}`)))].join(', ') : '',
        nav: navFor(viewer),
        crumb: (request.plugins as { crumb?: string }).crumb,
        path: request.path,
        fullPath: request.url.pathname + request.url.search,
        assetVersion,
      };
    },
  });

  server.state('lang', { ttl: 365 * 24 * 3600 * 1000, isSecure, isHttpOnly: true, isSameSite: 'Lax', path: '/', encoding: 'none' });
  server.auth.strategy('session', 'cookie', {
    cookie: { name: 'sid', password: cfg.secret.padEnd(32, '0'), isSecure, isHttpOnly: true, isSameSite: 'Lax', path: '/', ttl: null, clearInvalid: true },
    validate: async (_request: Request, session: { sid?: string }) => {
      if (!session?.sid) return { isValid: false };
      const viewer = await resumeSession(session.sid);
      return viewer ? { isValid: true, credentials: viewer } : { isValid: false };
    },
  });
  server.auth.default({ strategy: 'session', mode: 'try' });

  // Cookies are parsed only after onRequest, so the language is read at onPreAuth.
  server.ext('onPreAuth', (request, h) => {
    request.app.locale = toLocale(request.state?.lang);
    return h.continue;
  });

  // Authorization is declared on every route and enforced here, in one place.
  server.ext('onPostAuth', (request, h) => {
    const viewer = viewerOf(request);
    if (!request.state?.lang && viewer) request.app.locale = viewer.locale;
    bindCsrf(request, h, viewer);
    const rule = routeAccess(request);
    if (rule?.public) {
      checkInput(request, rule);
      return h.continue;
    }
    if (rule?.machine) {
      // Machine routes take only the credentials of their own strategy (an API client): a session never
      // opens them, and they carry no CSRF token because no browser cookie authenticates them.
      if (!request.auth.isAuthenticated || viewer) throw Boom.unauthorized();
      checkInput(request, rule);
      return h.continue;
    }
    if (!viewer) throw Boom.unauthorized();
    if (request.path.startsWith('/api/') && !['get', 'head', 'options'].includes(request.method)) {
      const token = request.headers['x-csrf-token'];
      if (!token || token !== request.state?.crumb) throw Boom.forbidden(undefined, { code: 'errors.csrf' });
    }
    if (rule?.roles?.length && !hasRole(viewer, ...rule.roles)) throw Boom.forbidden(undefined, { code: 'errors.roleRequired' });
    checkInput(request, rule);
    return h.continue;
  });

  server.ext('onPreResponse', onPreResponse);

  // Every 500 reaches the log, also those that happen while the response is sent (a header hapi
  // cannot write, a stream that fails) and so never pass onPreResponse as an error.
  server.events.on({ name: 'request', channels: ['internal', 'error'] }, (request, event, tags) => {
    if (!tags.error) return;
    // Handler errors of 4xx (a Boom 404, an AppError 409) are answers, not failures.
    const err = event.error as { isBoom?: boolean; output?: { statusCode: number }; status?: number } | undefined;
    const status = err?.isBoom ? err.output!.statusCode : err instanceof AppError ? err.status : 500;
    if (status < 500) return;
    request.app.isErrorLogged = true;
    log.error('request failed', { path: request.path, method: request.method, error: String((event.error as Error | undefined)?.stack ?? event.error ?? event.data) });
  });
  server.events.on('response', (request) => {
    const status = (request.raw.res.statusCode || (request.response as { statusCode?: number } | null)?.statusCode) ?? 0;
    if (status >= 500 && !request.app.isErrorLogged) log.error('server error response', { path: request.path, method: request.method, status });
  });

  // Fail at boot when a route forgets to say who may call it.
  server.ext('onPreStart', () => {
    const open = server.table().filter((r) => !Object.hasOwn(r.settings.plugins ?? {}, 'govflow') && (r.settings.auth as unknown) !== false);
    if (open.length) throw new Error(`routes without an access rule (plugins.govflow): ${open.map((r) => `${r.method} ${r.path}`).join(', ')}`);
    const strategiesOf = (r: { settings: { auth?: unknown } }) => (r.settings.auth ? ((r.settings.auth as { strategies?: string[] }).strategies ?? []) : []);
    const sessionMachines = server.table().filter((r) => (r.settings.plugins as { govflow?: RouteAccess } | undefined)?.govflow?.machine
      && (!strategiesOf(r).length || strategiesOf(r).includes('session')));
    if (sessionMachines.length) throw new Error(`machine routes must use their own auth strategy, not the session: ${sessionMachines.map((r) => `${r.method} ${r.path}`).join(', ')}`);
  });

  server.route(coreRoutes());
  for (const plugin of plugins) await server.register(plugin);
  await server.initialize();
  return server;
}

function coreRoutes(): ServerRoute[] {
  const pub = { govflow: { public: true }, crumb: false } as const;
  return [
    {
      method: 'GET',
      path: '/static/{p*}',
      // A name longer than any asset would reach the file system as ENAMETOOLONG (a 500): refused first.
      options: { auth: false, plugins: pub, cache: { expiresIn: 7 * 24 * 3600 * 1000, privacy: 'public' }, validate: { params: Joi.object({ p: Joi.string().max(255).required() }) } },
      handler: { directory: { path: path.join(root, 'public'), redirectToSlash: false, index: false } },
    },
    {
      method: 'GET',
      path: '/healthz',
      options: { auth: false, plugins: pub },
      handler: () => ({ status: 'ok' }),
    },
    {
      method: 'GET',
      path: '/readyz',
      options: { auth: false, plugins: pub },
      handler: async (_request, h) => {
        try {
          await ping();
          return { status: 'ready' };
        } catch (err) {
          log.warn('readiness check failed', { error: String(err) });
          return h.response({ status: 'unavailable' }).code(503);
        }
      },
    },
    {
      // Unknown pages go through the whole lifecycle (unlike hapi's built-in 404), so the error
      // page knows the language and the logged-in user, and shows their header and menu.
      method: 'GET',
      path: '/{unknown*}',
      options: { plugins: { govflow: { public: true } } },
      handler: () => {
        throw Boom.notFound();
      },
    },
  ];
}
