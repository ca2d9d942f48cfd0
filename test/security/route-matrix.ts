// Who is meant to reach each route, written down apart from the routes themselves. The security suite
// compares every route of `server.table()` with this table: a new route without a row here fails it,
// and so does a route whose declared roles differ from what is written here.
import type { Role } from '../../src/auth/models.ts';

/**
 * `public`: anyone; `any`: any logged-in user; `machine`: only API clients by HTTP Basic (no session of
 * any role opens it); otherwise the roles that may call it (anywhere in their scope).
 */
export type Audience = 'public' | 'any' | 'machine' | Role[];

const STAFF: Role[] = ['admin', 'designer', 'officer', 'leader'];
const DESIGN: Role[] = ['admin', 'designer'];
const FILL: Role[] = ['admin', 'designer', 'officer'];
const ADMIN: Role[] = ['admin'];

/** One row per route, keyed `METHOD path` as hapi lists it. */
export const ROUTE_MATRIX: Record<string, Audience> = {
  'GET /': 'public',
  'GET /healthz': 'public',
  'GET /readyz': 'public',
  'GET /static/{p*}': 'public',
  'GET /{unknown*}': 'public',
  'GET /login': 'public',
  'POST /login': 'public',
  'GET /register': 'public',
  'POST /register': 'public',
  'GET /register/confirm': 'public',
  'POST /register/confirm': 'public',
  'POST /lang': 'public',
  'POST /logout': 'any',
  'GET /api/me': 'any',

  'GET /admin/audit': ADMIN,
  'GET /admin/audit/verify': ADMIN,
  'GET /api/audit': ADMIN,
  'GET /api/audit/verify': ADMIN,

  'GET /admin/users': ADMIN,
  'GET /admin/users/new': ADMIN,
  'POST /admin/users/new': ADMIN,
  'GET /admin/users/{id}': ADMIN,
  'POST /admin/users/{id}/roles': ADMIN,
  'POST /admin/users/{id}/status': ADMIN,

  'GET /admin/orgs': STAFF,
  'GET /admin/orgs/{id}': STAFF,
  'GET /admin/orgs/import': ADMIN,
  'POST /admin/orgs/import': ADMIN,
  'GET /api/orgs': STAFF,
  'GET /api/orgs/{code}': STAFF,
  'GET /api/orgs/{code}/subtree': STAFF,

  'GET /api/engine/definitions': DESIGN,
  'POST /api/engine/definitions': DESIGN,
  'GET /api/engine/definitions/{id}/xml': DESIGN,
  'POST /api/engine/lint': DESIGN,
  'GET /api/engine/incidents': ADMIN,
  'POST /api/engine/incidents/{id}/retry': ADMIN,
  'GET /api/engine/instances': DESIGN,
  'GET /api/engine/instances/{id}': DESIGN,
  'POST /api/engine/instances/{id}/cancel': ADMIN,
  'POST /api/engine/jobs/{id}/due': ADMIN,
  'POST /api/engine/messages': ADMIN,
  'POST /api/engine/signals': ADMIN,
  'POST /api/engine/processes/{key}/start': STAFF,
  'GET /api/engine/tasks': 'any',
  'GET /api/engine/tasks/{id}': 'any',
  'POST /api/engine/tasks/{id}/{action}': 'any',
  'GET /engine': DESIGN,
  'GET /engine/definitions/{id}': DESIGN,
  'POST /engine/deploy': DESIGN,
  'POST /engine/incidents/{id}/retry': ADMIN,
  'GET /engine/instances': DESIGN,
  'GET /engine/instances/{id}': DESIGN,
  'POST /engine/instances/{id}/cancel': ADMIN,
  'POST /engine/jobs/{id}/due': ADMIN,
  'POST /engine/jobs/{id}/retry': ADMIN,
  'GET /engine/modeler': DESIGN,
  'GET /tasks': 'any',
  'GET /tasks/{id}': 'any',
  'POST /tasks/{id}/{action}': 'any',

  'GET /api/forms': FILL,
  'POST /api/forms': DESIGN,
  'POST /api/forms/check': DESIGN,
  'GET /api/forms/{key}': FILL,
  'PUT /api/forms/{key}': DESIGN,
  'POST /api/forms/{key}/publish': DESIGN,
  'GET /api/forms/{key}/schema': FILL,
  'POST /api/forms/{key}/versions': DESIGN,
  'GET /api/forms/{key}/submissions/{period}': FILL,
  'PUT /api/forms/{key}/submissions/{period}': FILL,
  'GET /api/forms/{key}/submissions/{period}/files/{field}': FILL,
  'POST /api/forms/{key}/submissions/{period}/files/{field}': FILL,
  'GET /forms': FILL,
  'POST /forms': DESIGN,
  'POST /forms/import': DESIGN,
  'GET /forms/{key}/edit': DESIGN,
  'POST /forms/{key}/definition': DESIGN,
  'GET /forms/{key}/definition.json': DESIGN,
  'GET /forms/{key}/history': DESIGN,
  'GET /forms/{key}/preview': DESIGN,
  'GET /forms/{key}/sample.pdf': DESIGN,
  'POST /forms/{key}/publish': DESIGN,
  'POST /forms/{key}/versions': DESIGN,
  'GET /forms/{key}/template.xlsx': FILL,
  'GET /forms/{key}/fill': FILL,
  'POST /forms/{key}/fill': FILL,
  'GET /forms/{key}/fill.pdf': FILL,
  'POST /forms/{key}/fill/upload': FILL,
  'GET /forms/{key}/fill/files/{field}': FILL,

  'GET /verify': 'public',
  'GET /verify/{id}': 'public',
  'POST /verify': 'public',
  'POST /api/verify': 'public',
  'GET /me/certificates': ['leader', 'admin'],
  'POST /me/certificates': ['leader', 'admin'],
  'GET /sign': ['leader', 'admin'],
  'POST /sign': ['leader', 'admin'],
  'GET /notifications': 'any',
  'POST /notifications/read': 'any',
  'GET /notifications/settings': 'any',
  'POST /notifications/settings': 'any',
  'GET /api/notifications': 'any',
  'POST /api/notifications/read': 'any',
  'POST /api/notifications/settings': 'any',
  'GET /admin/notify': ADMIN,
  'POST /admin/notify/resend': ADMIN,
  'GET /admin/notify/log': ADMIN,
  'GET /api/notify/messages': ADMIN,
  'GET /api/notify/messages/{id}': ADMIN,
  'POST /api/notify/resend': ADMIN,

  'GET /admin/api-clients': ADMIN,
  'POST /admin/api-clients': ADMIN,
  'POST /admin/api-clients/{id}/revoke': ADMIN,
  'POST /engine-rest/external-task/fetchAndLock': 'machine',
  'POST /engine-rest/external-task/{id}/complete': 'machine',
  'POST /engine-rest/external-task/{id}/failure': 'machine',
  'POST /engine-rest/external-task/{id}/bpmnError': 'machine',
  'POST /engine-rest/external-task/{id}/extendLock': 'machine',
  'POST /engine-rest/external-task/{id}/unlock': 'machine',
  'POST /engine-rest/process-definition/key/{key}/start': 'machine',
  'POST /engine-rest/message': 'machine',
};

/** Sample values for path parameters, so that every route can be called. */
export const PARAM_SAMPLES: Record<string, string> = {
  id: '1',
  key: 'kt-xh-thang',
  period: '2026-10',
  field: 'f1',
  code: '01',
  action: 'claim',
  p: 'app.css',
  unknown: 'nothing-here',
};

/** The path of a route with its parameters filled in (`value` overrides every sample). */
export function fillPath(routePath: string, value?: string): string {
  return routePath.replace(/\{(\w+)\*?\}/g, (_m, name: string) => encodeURIComponent(value ?? PARAM_SAMPLES[name] ?? 'x'));
}
