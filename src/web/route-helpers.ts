// What every domain plugin takes from the web layer: the viewer of a request and the route access
// declaration. Plugins import this module, never the server assembly.
import type { Request } from '@hapi/hapi';
import Boom from '@hapi/boom';
import { getConfig } from '../config.ts';
import type { Role } from '../auth/models.ts';
import type { Locale } from '../i18n/index.ts';
import type { Viewer } from '../access/index.ts';

/**
 * Who may call a route: `public: true`; `machine: true` (only callers the route's own auth strategy
 * authenticates, e.g. API clients by HTTP Basic: no session, no CSRF token); or any logged-in user holding
 * one of `roles` (empty: any logged-in user).
 */
export interface RouteAccess {
  public?: boolean;
  machine?: boolean;
  roles?: Role[];
  /** Longest text value the route accepts, when above the edge check's default (a BPMN file, a form definition). */
  maxText?: number;
}

declare module '@hapi/hapi' {
  interface PluginSpecificConfiguration {
    /** Who may call a route (see `RouteAccess`). */
    govflow?: RouteAccess;
  }
  interface RequestApplicationState {
    locale: Locale;
    /** Whether a failure of this request was already written to the log. */
    isErrorLogged?: boolean;
  }
}

/** The logged-in viewer of a request (with the client IP for the audit log), or null. */
export function viewerOf(request: Request): Viewer | null {
  const v = request.auth.credentials as unknown as Viewer | undefined;
  if (!v || !v.userId) return null;
  return { ...v, ip: request.info.remoteAddress };
}

/** The viewer of a route that requires login; the auth check has already run. */
export function mustViewer(request: Request): Viewer {
  const v = viewerOf(request);
  if (!v) throw Boom.unauthorized();
  return v;
}

/** Whether the request expects JSON rather than a page. */
export function wantsJson(request: Request): boolean {
  const accept = String(request.headers.accept ?? '');
  return request.path.startsWith('/api/') || request.path.startsWith('/engine-rest/') || (/application\/json/.test(accept) && !/text\/html/.test(accept));
}

/** The access rule a route declares, read as own properties only (an inherited `public` never counts). */
export function routeAccess(request: Request): RouteAccess | null {
  const plugins = request.route.settings.plugins as Record<string, unknown> | undefined;
  if (!plugins || !Object.hasOwn(plugins, 'govflow')) return null;
  const rule = plugins.govflow as Record<string, unknown> | undefined;
  if (!rule || typeof rule !== 'object') return null;
  return {
    public: Object.hasOwn(rule, 'public') && rule.public === true,
    machine: Object.hasOwn(rule, 'machine') && rule.machine === true,
    roles: Object.hasOwn(rule, 'roles') && Array.isArray(rule.roles) ? (rule.roles as Role[]) : undefined,
    maxText: Object.hasOwn(rule, 'maxText') && typeof rule.maxText === 'number' ? rule.maxText : undefined,
  };
}

// A placeholder origin: a redirect target is accepted only when it resolves to this same origin.
const LOCAL_ORIGIN = 'http://govflow.local.invalid';
// Backslashes (browsers read them as slashes), C0/C1 control characters (tab and newline are dropped
// by the URL parser, so `/\t/evil` turns into `//evil`) and DEL.
const UNSAFE_CHARS = /[\\\u0000-\u001f\u007f-\u009f]/;

/** A `next` or `returnTo` value when it is a path on this server, else `/`; decided by URL parsing, not by a pattern. */
export function safeLocalPath(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2000 || !next.startsWith('/') || next.startsWith('//') || UNSAFE_CHARS.test(next)) return '/';
  let url: URL;
  try {
    url = new URL(next, LOCAL_ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== LOCAL_ORIGIN) return '/';
  const local = url.pathname + url.search + url.hash;
  // Dot segments can collapse into a leading `//` (`/a/..//evil`), which a browser reads as another host.
  return local.startsWith('//') || UNSAFE_CHARS.test(local) ? '/' : local;
}

/** The client's address: the socket's, or the `X-Forwarded-For` entry the trusted proxies added (TRUST_PROXY_HOPS). */
export function clientIp(request: Request): string {
  const hops = getConfig().trustProxyHops;
  if (hops > 0) {
    // Each trusted proxy appends the address it was reached from; entries further left are the client's word.
    const chain = String(request.headers['x-forwarded-for'] ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    const ip = chain[chain.length - hops];
    if (ip) return ip;
  }
  return request.info.remoteAddress;
}
