// Plugin `govflow/workflow`: the task inbox and task pages, the cockpit and modeler pages, and the
// engine's JSON API (`/api/engine/*`), over src/workflow/service.ts. It also deploys the shipped
// processes and runs this node's job worker while the server runs (the engine itself knows no HTTP).
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import { t, type Locale } from '../i18n/index.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { findInputProblem } from '../web/input-guard.ts';
import { registerNav } from '../web/nav.ts';
import type { Role } from '../auth/models.ts';
import { hasRole } from '../access/index.ts';
import { AppError } from '../errors.ts';
import { log } from '../log.ts';
import { tasklistRoutes } from './tasklist-routes.ts';
import { assertMayStart } from './tasklist.ts';
import { deployFormDirectory, deployFormFor, MAX_FORM_BYTES } from './forms.ts';
import {
  PROCESSES_DIR, analyzeXml, definitionWarnings, deployShippedProcesses, getDefinitionRow, listDefinitions, presentTask, startJobWorker, stopJobWorker, type DeployProblem,
} from '../engine/service.ts';
import {
  broadcastFor, cancelInstanceFor, claimTask, cockpitOverview, commentTask, completeTask, correlateFor, delegateTask, deployFor, getInstanceFor, getTask,
  listIncidentsFor, listInstancesFor, listTasks, moveTimerFor, ORG_CODE, retryIncidentFor, retryJobFor, setVariablesFor, startProcessFor, unassignTask, unclaimTask,
  type IdempotencyKey, type TaskQuery,
} from './service.ts';

const anyUser = { govflow: { roles: [] as Role[] } };
const staff = { govflow: { roles: ['admin', 'designer', 'officer', 'leader'] as Role[] } };
const designers = { govflow: { roles: ['admin', 'designer'] as Role[] } };
const admins = { govflow: { roles: ['admin'] as Role[] } };
/** Designers' routes that take a whole BPMN file as text (above the edge check's default text size). */
const MAX_XML = 5 * 1024 * 1024;
const designersXml = { govflow: { roles: ['admin', 'designer'] as Role[], maxText: MAX_XML } };

/** Problems of a rejected deploy in the reader's language. */
export function presentProblems(locale: Locale, problems: DeployProblem[]) {
  return problems.map((p) => ({ ...p, message: t(locale, p.code, { ...p.params }) }));
}

/** A multipart file part as hapi hands it with annotated output. */
interface Upload {
  filename?: string;
  payload?: Buffer | string | Record<string, unknown>;
}

function uploaded(u: Upload | string): { name: string; text: string } {
  if (typeof u === 'string') return { name: '', text: u };
  const body = u.payload;
  // A part sent as application/json arrives parsed; a form file is stored as the JSON it is.
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : body && typeof body === 'object' ? JSON.stringify(body) : '';
  return { name: String(u.filename ?? ''), text };
}

/** Rethrows a form deploy rejection with every problem worded for the reader. */
function localizedForm(locale: Locale, err: unknown): never {
  if (err instanceof AppError && err.code === 'tasklist.formRejected' && Array.isArray(err.details)) {
    throw new AppError(err.code, err.status, err.params, (err.details as Array<{ code: string; params: Record<string, unknown> }>).map((p) => ({ ...p, message: t(locale, p.code, p.params) })));
  }
  throw err;
}

/** Parses a form's variables textarea (JSON object) or fails with a field error. */
function formVariables(text: string | undefined): Record<string, unknown> {
  if (!text || !text.trim()) return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new AppError('engine.badVariables', 400);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new AppError('engine.badVariables', 400);
  // The text was one string at the edge; what it parses to gets the same check as any body.
  const problem = findInputProblem(v, 'variables');
  if (problem) throw new AppError(`validation.${problem.type}`, 400, { field: problem.field, limit: problem.limit });
  if (Buffer.byteLength(text) > MAX_VARIABLES_BYTES) throw new AppError('validation.variables.tooLarge', 400, { limit: MAX_VARIABLES_BYTES });
  return v as Record<string, unknown>;
}

/** Rethrows a deploy rejection with every problem worded for the reader. */
function localized(locale: Locale, err: unknown): never {
  if (err instanceof AppError && err.code === 'engine.deployRejected' && Array.isArray(err.details)) {
    throw new AppError(err.code, err.status, err.params, presentProblems(locale, err.details as DeployProblem[]));
  }
  throw err;
}

/** Largest process variables one request may hand the engine (as JSON); every instance carries them. */
export const MAX_VARIABLES_BYTES = 256 * 1024;
const vars = Joi.object().unknown(true).default({}).custom((value, helpers) => {
  if (Buffer.byteLength(JSON.stringify(value)) > MAX_VARIABLES_BYTES) return helpers.error('variables.tooLarge', { limit: MAX_VARIABLES_BYTES });
  return value;
}).messages({ 'variables.tooLarge': 'variables are larger than {#limit} bytes' });
const taskQuery = Joi.object({
  scope: Joi.string().valid('mine', 'groups', 'unassigned', 'all').default('all'),
  process: Joi.string().max(190).allow(''),
  org: Joi.string().max(40).allow(''),
  sort: Joi.string().valid('due', 'created', 'priority').default('due'),
});

function toTaskQuery(q: { scope?: TaskQuery['scope']; process?: string; org?: string; sort?: TaskQuery['sort'] }): TaskQuery {
  return { scope: q.scope, processKey: q.process || undefined, orgCode: q.org || undefined, sort: q.sort };
}

function back(h: ResponseToolkit, to: string) {
  return h.redirect(to).code(303);
}

/** The `Idempotency-Key` header of a creating call (visible ASCII, at most 190 characters). */
const idempotencyHeaders = Joi.object({ 'idempotency-key': Joi.string().pattern(/^[\x21-\x7e]{1,190}$/) }).unknown(true);

function idempotencyOf(request: Request): IdempotencyKey | undefined {
  const key = request.headers['idempotency-key'];
  return typeof key === 'string' && key ? { key } : undefined;
}

/** Plugin `govflow/workflow`. */
export const workflowPlugin: Plugin<void> = {
  name: 'govflow/workflow',
  async register(server) {
    registerNav({ href: '/tasks', label: 'engine.nav.tasks', roles: ['officer', 'leader'], order: 20 });
    registerNav({ href: '/start', label: 'tasklist.nav.start', roles: ['officer', 'leader'], order: 21 });
    registerNav({ href: '/engine', label: 'engine.nav.cockpit', roles: ['admin', 'designer'], order: 60 });
    registerNav({ href: '/engine/modeler', label: 'engine.nav.modeler', roles: ['designer'], order: 61 });

    server.ext('onPreStart', async () => {
      try {
        // Forms first: a process's first task may link to one.
        const forms = (await deployFormDirectory(PROCESSES_DIR)).filter((f) => f.isNew);
        if (forms.length) log.info('forms deployed', { forms: forms.map((f) => `${f.formId}@${f.version}`).join(', ') });
      } catch (err) {
        log.error('shipped forms not deployed', { error: String((err as Error)?.message ?? err) });
      }
      try {
        const deployed = await deployShippedProcesses();
        const fresh = deployed.filter((d) => d.isNew);
        if (fresh.length) log.info('processes deployed', { processes: fresh.map((d) => `${d.key}@${d.version}`).join(', ') });
      } catch (err) {
        log.error('shipped processes not deployed', { error: String((err as Error)?.message ?? err) });
      }
    });
    server.events.on('start', () => startJobWorker());
    server.events.on('stop', () => {
      void stopJobWorker();
    });

    server.route([
      // ---- JSON API ----
      {
        method: 'GET', path: '/api/engine/definitions', options: { plugins: designers },
        handler: async () => (await listDefinitions()).map((d) => ({ id: d.id, key: d.key, version: d.version, name: d.name, sha256: d.sha256, sourceName: d.sourceName, deployedBy: d.deployedBy, createdAt: d.createdAt })),
      },
      {
        method: 'GET', path: '/api/engine/definitions/{id}/xml', options: { plugins: designers, validate: { params: Joi.object({ id: Joi.number().integer().required() }) } },
        handler: async (request, h) => h.response((await getDefinitionRow({ id: Number(request.params.id) })).xml).type('application/xml'),
      },
      {
        method: 'POST', path: '/api/engine/definitions',
        options: { plugins: designersXml, payload: { maxBytes: MAX_XML }, validate: { headers: idempotencyHeaders, payload: Joi.object({ xml: Joi.string().required().max(MAX_XML), name: Joi.string().max(255).allow('') }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const { xml, name } = request.payload as { xml: string; name?: string };
          const { status, body } = await deployFor(viewer, xml, name || null, idempotencyOf(request)).catch((err) => localized(request.app.locale, err));
          return h.response({ ...body, warnings: presentProblems(request.app.locale, body.warnings) }).code(status);
        },
      },
      {
        method: 'POST', path: '/api/engine/lint',
        options: { plugins: designersXml, payload: { maxBytes: MAX_XML }, validate: { payload: Joi.object({ xml: Joi.string().required().max(MAX_XML) }) } },
        handler: async (request) => {
          const a = await analyzeXml((request.payload as { xml: string }).xml);
          return { problems: presentProblems(request.app.locale, a.problems), warnings: presentProblems(request.app.locale, a.warnings) };
        },
      },
      {
        method: 'POST', path: '/api/engine/processes/{key}/start',
        options: {
          plugins: staff,
          validate: {
            headers: idempotencyHeaders,
            params: Joi.object({ key: Joi.string().max(190).required() }),
            payload: Joi.object({ businessKey: Joi.string().max(190).allow(null, ''), orgCode: Joi.string().pattern(ORG_CODE).allow(null, ''), variables: vars }),
          },
        },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.payload as { businessKey?: string; orgCode?: string; variables: Record<string, unknown> };
          await assertMayStart(viewer, String(request.params.key));
          const { status, body } = await startProcessFor(viewer, String(request.params.key), { businessKey: p.businessKey || null, orgCode: p.orgCode || null, variables: p.variables }, idempotencyOf(request));
          return h.response(body).code(status);
        },
      },
      {
        method: 'GET', path: '/api/engine/instances',
        options: { plugins: designers, validate: { query: Joi.object({ key: Joi.string().allow(''), businessKey: Joi.string().allow(''), status: Joi.string().valid('active', 'completed', 'cancelled', 'failed').allow(''), limit: Joi.number().integer().min(1).max(500).default(50), offset: Joi.number().integer().min(0).default(0) }) } },
        handler: async (request) => {
          const q = request.query as { key?: string; businessKey?: string; status?: string; limit: number; offset: number };
          return listInstancesFor(mustViewer(request), { definitionKey: q.key || undefined, businessKey: q.businessKey || undefined, status: q.status || undefined, limit: q.limit, offset: q.offset });
        },
      },
      {
        method: 'GET', path: '/api/engine/instances/{id}', options: { plugins: designers },
        handler: async (request) => getInstanceFor(mustViewer(request), String(request.params.id)),
      },
      {
        method: 'POST', path: '/api/engine/instances/{id}/cancel', options: { plugins: admins, validate: { payload: Joi.object({ reason: Joi.string().max(1000).allow('', null) }).allow(null) } },
        handler: async (request) => {
          const viewer = mustViewer(request);
          const reason = (request.payload as { reason?: string } | null)?.reason || null;
          await cancelInstanceFor(viewer, String(request.params.id), reason);
          return { id: String(request.params.id), status: 'cancelled' };
        },
      },
      {
        // A JSON merge of the body into the instance's variables (null removes a name); the result obeys the same size limit.
        method: 'PUT', path: '/api/engine/instances/{id}/variables', options: { plugins: admins, validate: { payload: vars.required() } },
        handler: async (request) => {
          const variables = await setVariablesFor(mustViewer(request), String(request.params.id), request.payload as Record<string, unknown>, MAX_VARIABLES_BYTES);
          return { id: String(request.params.id), variables };
        },
      },
      {
        method: 'GET', path: '/api/engine/incidents', options: { plugins: admins },
        handler: async (request) => listIncidentsFor(mustViewer(request)),
      },
      {
        method: 'POST', path: '/api/engine/incidents/{id}/retry', options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().required() }) } },
        handler: async (request) => {
          const instance = await retryIncidentFor(mustViewer(request), Number(request.params.id));
          return { instanceId: instance.id, status: instance.status };
        },
      },
      {
        method: 'POST', path: '/api/engine/jobs/{id}/due',
        options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().required() }), payload: Joi.object({ dueAt: Joi.date().iso().required() }) } },
        handler: async (request) => moveTimerFor(mustViewer(request), Number(request.params.id), (request.payload as { dueAt: Date }).dueAt),
      },
      {
        method: 'POST', path: '/api/engine/messages',
        options: { plugins: admins, validate: { headers: idempotencyHeaders, payload: Joi.object({ name: Joi.string().max(190).required(), businessKey: Joi.string().max(190).allow(null, ''), variables: vars }) } },
        handler: async (request, h) => {
          const p = request.payload as { name: string; businessKey?: string; variables: Record<string, unknown> };
          const { status, body } = await correlateFor(mustViewer(request), p.name, p.businessKey || null, p.variables, idempotencyOf(request));
          return h.response(body).code(status);
        },
      },
      {
        method: 'POST', path: '/api/engine/signals',
        options: { plugins: admins, validate: { payload: Joi.object({ name: Joi.string().max(190).required(), variables: vars }) } },
        handler: async (request) => {
          const p = request.payload as { name: string; variables: Record<string, unknown> };
          return broadcastFor(mustViewer(request), p.name, p.variables);
        },
      },
      {
        method: 'GET', path: '/api/engine/tasks', options: { plugins: anyUser, validate: { query: taskQuery } },
        handler: async (request) => (await listTasks(mustViewer(request), toTaskQuery(request.query as never))).map(presentTask),
      },
      {
        method: 'GET', path: '/api/engine/tasks/{id}', options: { plugins: anyUser, validate: { params: Joi.object({ id: Joi.number().integer().required() }) } },
        handler: async (request) => presentTask(await getTask(mustViewer(request), Number(request.params.id))),
      },
      {
        method: 'POST', path: '/api/engine/tasks/{id}/{action}',
        options: {
          plugins: anyUser,
          validate: {
            params: Joi.object({ id: Joi.number().integer().required(), action: Joi.string().valid('claim', 'unclaim', 'delegate', 'unassign', 'complete', 'comments').required() }),
            payload: Joi.object({ variables: vars, comment: Joi.string().max(4000).allow('', null), username: Joi.string().max(64), text: Joi.string().max(4000) }).allow(null),
          },
        },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const id = Number(request.params.id);
          const p = (request.payload ?? {}) as { variables?: Record<string, unknown>; comment?: string; username?: string; text?: string };
          switch (request.params.action) {
            case 'claim': return presentTask(await claimTask(viewer, id));
            case 'unclaim': return presentTask(await unclaimTask(viewer, id));
            case 'unassign': return presentTask(await unassignTask(viewer, id));
            case 'delegate': {
              if (!p.username) throw new AppError('validation.failed', 400);
              return presentTask(await delegateTask(viewer, id, p.username));
            }
            case 'comments': {
              if (!p.text) throw new AppError('validation.failed', 400);
              await commentTask(viewer, id, p.text);
              return h.response({ ok: true }).code(201);
            }
            default: {
              const instance = await completeTask(viewer, id, p.variables ?? {}, p.comment || null);
              return { instanceId: instance.id, status: instance.status };
            }
          }
        },
      },

      // ---- Pages ----
      ...tasklistRoutes(),
      {
        method: 'GET', path: '/engine', options: { plugins: designers },
        handler: async (request, h) => {
          const defs = await listDefinitions();
          const groups = new Map<string, typeof defs>();
          for (const d of defs) groups.set(d.key, [...(groups.get(d.key) ?? []), d]);
          const overview = await cockpitOverview(mustViewer(request));
          return h.view('pages/engine/definitions', {
            pageTitle: t(request.app.locale, 'engine.cockpit.title'),
            counts: overview.counts,
            definitions: [...groups.entries()].map(([key, versions]) => ({ key, name: versions[0].name, latest: versions[0], versions })),
            isAdmin: overview.isAdmin,
            incidents: overview.incidents,
            failedJobs: overview.failedJobs,
          });
        },
      },
      {
        method: 'POST', path: '/engine/deploy',
        options: { plugins: designersXml, payload: { output: 'data', parse: true, multipart: { output: 'annotated' }, maxBytes: MAX_XML } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.payload as { file?: Upload | Upload[] | string };
          // Several files at once: the forms go first, so the process's tasks find them.
          const files = (Array.isArray(p.file) ? p.file : p.file === undefined ? [] : [p.file]).map(uploaded);
          const forms = files.filter((f) => f.name.endsWith('.form') || (!f.name.endsWith('.bpmn') && f.text.trimStart().startsWith('{')));
          const processes = files.filter((f) => !forms.includes(f));
          for (const f of forms) {
            if (Buffer.byteLength(f.text) > MAX_FORM_BYTES) throw new AppError('tasklist.formRejected', 422, { name: f.name });
            await deployFormFor(viewer, f.text, f.name || null).catch((err) => localizedForm(request.app.locale, err));
          }
          let last: number | null = null;
          for (const f of processes) {
            const { body } = await deployFor(viewer, f.text, f.name || null).catch((err) => localized(request.app.locale, err));
            last = body.id;
          }
          return back(h, last === null ? '/engine' : `/engine/definitions/${last}`);
        },
      },
      {
        method: 'GET', path: '/engine/definitions/{id}', options: { plugins: designers, validate: { params: Joi.object({ id: Joi.number().integer().required() }) } },
        handler: async (request, h) => {
          const row = await getDefinitionRow({ id: Number(request.params.id) });
          const instances = await listInstancesFor(mustViewer(request), { definitionKey: row.key, limit: 20 });
          const locale = request.app.locale;
          const meta = JSON.parse(row.meta) as { translations?: Array<{ elementId: string; field: string; juel: string; feel: string }> };
          return h.view('pages/engine/definition', {
            pageTitle: row.name ?? row.key,
            definition: { id: row.id, key: row.key, version: row.version, name: row.name, sha256: row.sha256, createdAt: row.createdAt, deployedBy: row.deployedBy, sourceName: row.sourceName },
            instances: instances.rows,
            warnings: presentProblems(locale, definitionWarnings(row)),
            translations: meta.translations ?? [],
          });
        },
      },
      {
        method: 'GET', path: '/engine/modeler', options: { plugins: designers, validate: { query: Joi.object({ from: Joi.number().integer() }) } },
        handler: async (request, h) => h.view('pages/engine/modeler', { pageTitle: t(request.app.locale, 'engine.modeler.title'), fromId: (request.query as { from?: number }).from ?? null }),
      },
      {
        method: 'GET', path: '/engine/instances',
        options: { plugins: designers, validate: { query: Joi.object({ key: Joi.string().allow(''), businessKey: Joi.string().allow(''), status: Joi.string().valid('active', 'completed', 'cancelled', 'failed').allow(''), page: Joi.number().integer().min(1).default(1) }) } },
        handler: async (request, h) => {
          const q = request.query as { key?: string; businessKey?: string; status?: string; page: number };
          const result = await listInstancesFor(mustViewer(request), { definitionKey: q.key || undefined, businessKey: q.businessKey || undefined, status: q.status || undefined, limit: 50, offset: (q.page - 1) * 50 });
          const keys = [...new Set((await listDefinitions()).map((d) => d.key))];
          return h.view('pages/engine/instances', { pageTitle: t(request.app.locale, 'engine.instances.title'), result, values: q, keys, pages: Math.max(1, Math.ceil(result.total / 50)) });
        },
      },
      {
        method: 'GET', path: '/engine/instances/{id}', options: { plugins: designers },
        handler: async (request, h) => {
          const instance = await getInstanceFor(mustViewer(request), String(request.params.id));
          return h.view('pages/engine/instance', {
            pageTitle: `${instance.definitionName ?? instance.definitionKey} · ${instance.businessKey ?? instance.id.slice(0, 8)}`,
            instance,
            variablesText: JSON.stringify(instance.variables, null, 2),
            isAdmin: hasRole(mustViewer(request), 'admin'),
            highlight: JSON.stringify({ active: instance.activeElements.map((a) => a.id), completed: instance.completedElements, tokens: instance.tokens, incidents: instance.incidents.filter((i) => i.status === 'open').map((i) => i.elementId) }),
          });
        },
      },
      {
        method: 'POST', path: '/engine/instances/{id}/variables', options: { plugins: admins, validate: { payload: Joi.object({ crumb: Joi.string(), variables: Joi.string().allow('').max(MAX_VARIABLES_BYTES * 2) }) } },
        handler: async (request, h) => {
          const id = String(request.params.id);
          await setVariablesFor(mustViewer(request), id, formVariables((request.payload as { variables?: string }).variables), MAX_VARIABLES_BYTES);
          return back(h, `/engine/instances/${id}`);
        },
      },
      {
        method: 'POST', path: '/engine/instances/{id}/cancel', options: { plugins: admins, validate: { payload: Joi.object({ crumb: Joi.string(), reason: Joi.string().allow('').max(1000) }) } },
        handler: async (request, h) => {
          const reason = (request.payload as { reason?: string }).reason || null;
          await cancelInstanceFor(mustViewer(request), String(request.params.id), reason);
          return back(h, `/engine/instances/${String(request.params.id)}`);
        },
      },
      {
        method: 'POST', path: '/engine/incidents/{id}/retry', options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().required() }), payload: Joi.object({ crumb: Joi.string(), next: Joi.string().pattern(/^\/engine\//) }) } },
        handler: async (request, h) => {
          const instance = await retryIncidentFor(mustViewer(request), Number(request.params.id));
          return back(h, `/engine/instances/${instance.id}`);
        },
      },
      {
        method: 'POST', path: '/engine/jobs/{id}/retry', options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().required() }), payload: Joi.object({ crumb: Joi.string() }) } },
        handler: async (request, h) => {
          await retryJobFor(mustViewer(request), Number(request.params.id));
          return back(h, '/engine');
        },
      },
      {
        method: 'POST', path: '/engine/jobs/{id}/due',
        options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().required() }), payload: Joi.object({ crumb: Joi.string(), dueAt: Joi.string().pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/).required() }) } },
        handler: async (request, h) => {
          // The form's local time is Vietnam time.
          const dueAt = new Date(`${(request.payload as { dueAt: string }).dueAt}:00+07:00`);
          const moved = await moveTimerFor(mustViewer(request), Number(request.params.id), dueAt);
          return back(h, `/engine/instances/${moved.instanceId}`);
        },
      },
    ]);
  },
};
