// Plugin `govflow/engine`: the task inbox, the cockpit and modeler pages, and the engine's JSON API.
// It also deploys the shipped processes and runs this node's job worker while the server runs.
import type { Plugin, Request, ResponseToolkit } from '@hapi/hapi';
import Joi from 'joi';
import { t, type Locale } from '../i18n/index.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import type { Role } from '../auth/models.ts';
import { actorOf } from '../auth/service.ts';
import { hasRole, type Viewer } from '../access/index.ts';
import { appendAudit } from '../audit/service.ts';
import { AppError, Forbidden } from '../errors.ts';
import { log } from '../log.ts';
import {
  analyzeXml, broadcastSignal, cancelInstance, claimTask, commentTask, completeTask, correlateMessage, delegateTask, deployDefinition,
  deployShippedProcesses, engineCounts, getDefinitionRow, getInstance, getTask, listDefinitions, listIncidents, listInstances, listTasks,
  listJobs, moveTimer, presentTask, retryFailedJob, retryIncident, startJobWorker, startProcess, stopJobWorker, unclaimTask, type DeployProblem, type TaskQuery,
} from './service.ts';
import { EngineJob } from './models.ts';

const anyUser = { govflow: { roles: [] as Role[] } };
const staff = { govflow: { roles: ['admin', 'designer', 'officer', 'leader'] as Role[] } };
const designers = { govflow: { roles: ['admin', 'designer'] as Role[] } };
const admins = { govflow: { roles: ['admin'] as Role[] } };

/** Problems of a rejected deploy in the reader's language. */
export function presentProblems(locale: Locale, problems: DeployProblem[]) {
  return problems.map((p) => ({ ...p, message: t(locale, p.code, { ...p.params }) }));
}

/** Rethrows a deploy rejection with every problem worded for the reader. */
function localized(locale: Locale, err: unknown): never {
  if (err instanceof AppError && err.code === 'engine.deployRejected' && Array.isArray(err.details)) {
    throw new AppError(err.code, err.status, err.params, presentProblems(locale, err.details as DeployProblem[]));
  }
  throw err;
}

const vars = Joi.object().unknown(true).default({});
const taskQuery = Joi.object({
  scope: Joi.string().valid('mine', 'groups', 'unassigned', 'all').default('all'),
  process: Joi.string().max(190).allow(''),
  org: Joi.string().max(40).allow(''),
  sort: Joi.string().valid('due', 'created', 'priority').default('due'),
});

function toTaskQuery(q: { scope?: TaskQuery['scope']; process?: string; org?: string; sort?: TaskQuery['sort'] }): TaskQuery {
  return { scope: q.scope, processKey: q.process || undefined, orgCode: q.org || undefined, sort: q.sort };
}

/** Parses a form's variables textarea (JSON object) or fails with a field error. */
function formVariables(text: string | undefined): Record<string, unknown> {
  if (!text || !text.trim()) return {};
  try {
    const v = JSON.parse(text);
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
  } catch {
    // Falls through to the error below.
  }
  throw new AppError('engine.badVariables', 400);
}

function back(h: ResponseToolkit, to: string) {
  return h.redirect(to).code(303);
}

function assertAdmin(viewer: Viewer): void {
  if (!hasRole(viewer, 'admin')) throw Forbidden();
}

async function auditAdmin(request: Request, action: string, targetType: string, targetId: string | number, detail?: unknown) {
  await appendAudit(actorOf(mustViewer(request)), { action, targetType, targetId, detail });
}

/** Plugin `govflow/engine`. */
export const enginePlugin: Plugin<void> = {
  name: 'govflow/engine',
  async register(server) {
    registerNav({ href: '/tasks', label: 'engine.nav.tasks', roles: ['officer', 'leader'], order: 20 });
    registerNav({ href: '/engine', label: 'engine.nav.cockpit', roles: ['admin', 'designer'], order: 60 });
    registerNav({ href: '/engine/modeler', label: 'engine.nav.modeler', roles: ['designer'], order: 61 });

    server.ext('onPreStart', async () => {
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
        options: { plugins: designers, payload: { maxBytes: 5 * 1024 * 1024 }, validate: { payload: Joi.object({ xml: Joi.string().required().max(5 * 1024 * 1024), name: Joi.string().max(255).allow('') }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const { xml, name } = request.payload as { xml: string; name?: string };
          const result = await deployDefinition(xml, { sourceName: name || null || undefined, deployedBy: viewer.username }).catch((err) => localized(request.app.locale, err));
          if (result.isNew) await auditAdmin(request, 'engine.deploy', 'definition', result.id, { key: result.key, version: result.version });
          return h.response({ ...result, warnings: presentProblems(request.app.locale, result.warnings) }).code(result.isNew ? 201 : 200);
        },
      },
      {
        method: 'POST', path: '/api/engine/lint',
        options: { plugins: designers, payload: { maxBytes: 5 * 1024 * 1024 }, validate: { payload: Joi.object({ xml: Joi.string().required() }) } },
        handler: async (request) => {
          const a = await analyzeXml((request.payload as { xml: string }).xml);
          return { problems: presentProblems(request.app.locale, a.problems), warnings: presentProblems(request.app.locale, a.warnings) };
        },
      },
      {
        method: 'POST', path: '/api/engine/processes/{key}/start',
        options: { plugins: staff, validate: { params: Joi.object({ key: Joi.string().max(190).required() }), payload: Joi.object({ businessKey: Joi.string().max(190).allow(null, ''), variables: vars }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.payload as { businessKey?: string; variables: Record<string, unknown> };
          const instance = await startProcess(String(request.params.key), { businessKey: p.businessKey || null, variables: p.variables, startedBy: viewer.username });
          return h.response({ id: instance.id, status: instance.status }).code(201);
        },
      },
      {
        method: 'GET', path: '/api/engine/instances',
        options: { plugins: designers, validate: { query: Joi.object({ key: Joi.string().allow(''), businessKey: Joi.string().allow(''), status: Joi.string().valid('active', 'completed', 'cancelled', 'failed').allow(''), limit: Joi.number().integer().min(1).max(500).default(50), offset: Joi.number().integer().min(0).default(0) }) } },
        handler: async (request) => {
          const q = request.query as { key?: string; businessKey?: string; status?: string; limit: number; offset: number };
          return listInstances({ definitionKey: q.key || undefined, businessKey: q.businessKey || undefined, status: q.status || undefined, limit: q.limit, offset: q.offset });
        },
      },
      {
        method: 'GET', path: '/api/engine/instances/{id}', options: { plugins: designers },
        handler: async (request) => getInstance(String(request.params.id)),
      },
      {
        method: 'POST', path: '/api/engine/instances/{id}/cancel', options: { plugins: admins, validate: { payload: Joi.object({ reason: Joi.string().max(1000).allow('', null) }).allow(null) } },
        handler: async (request) => {
          const viewer = mustViewer(request);
          const reason = (request.payload as { reason?: string } | null)?.reason || null;
          await cancelInstance(String(request.params.id), viewer.username, reason);
          await auditAdmin(request, 'engine.instance.cancel', 'instance', String(request.params.id), { reason });
          return { id: String(request.params.id), status: 'cancelled' };
        },
      },
      {
        method: 'GET', path: '/api/engine/incidents', options: { plugins: admins },
        handler: async () => listIncidents('open'),
      },
      {
        method: 'POST', path: '/api/engine/incidents/{id}/retry', options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().required() }) } },
        handler: async (request) => {
          const viewer = mustViewer(request);
          const instance = await retryIncident(Number(request.params.id), viewer.username);
          await auditAdmin(request, 'engine.incident.retry', 'incident', String(request.params.id), { instanceId: instance.id });
          return { instanceId: instance.id, status: instance.status };
        },
      },
      {
        method: 'POST', path: '/api/engine/jobs/{id}/due',
        options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().required() }), payload: Joi.object({ dueAt: Joi.date().iso().required() }) } },
        handler: async (request) => {
          const job = await EngineJob.findByPk(Number(request.params.id));
          if (!job || !job.instanceId || !job.executionId) throw new AppError('engine.timerNotFound', 404, { id: String(request.params.id) });
          const dueAt = (request.payload as { dueAt: Date }).dueAt;
          await moveTimer(job.instanceId, job.executionId, dueAt);
          await auditAdmin(request, 'engine.timer.move', 'instance', job.instanceId, { elementId: job.elementId, from: job.runAt, to: dueAt });
          return { instanceId: job.instanceId, dueAt };
        },
      },
      {
        method: 'POST', path: '/api/engine/messages',
        options: { plugins: admins, validate: { payload: Joi.object({ name: Joi.string().max(190).required(), businessKey: Joi.string().max(190).allow(null, ''), variables: vars }) } },
        handler: async (request) => {
          const p = request.payload as { name: string; businessKey?: string; variables: Record<string, unknown> };
          return correlateMessage(p.name, p.businessKey || null, p.variables);
        },
      },
      {
        method: 'POST', path: '/api/engine/signals',
        options: { plugins: admins, validate: { payload: Joi.object({ name: Joi.string().max(190).required(), variables: vars }) } },
        handler: async (request) => {
          const p = request.payload as { name: string; variables: Record<string, unknown> };
          return broadcastSignal(p.name, p.variables);
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
            params: Joi.object({ id: Joi.number().integer().required(), action: Joi.string().valid('claim', 'unclaim', 'delegate', 'complete', 'comments').required() }),
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
      {
        method: 'GET', path: '/tasks', options: { plugins: anyUser, validate: { query: taskQuery } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const q = request.query as { scope: TaskQuery['scope']; process?: string; org?: string; sort: TaskQuery['sort'] };
          const tasks = (await listTasks(viewer, toTaskQuery(q))).map(presentTask);
          return h.view('pages/engine/inbox', { pageTitle: t(request.app.locale, 'engine.inbox.title'), tasks, values: q, scopes: ['all', 'mine', 'groups', 'unassigned'], processes: [...new Set(tasks.map((x) => x.processKey))] });
        },
      },
      {
        method: 'GET', path: '/tasks/{id}', options: { plugins: anyUser, validate: { params: Joi.object({ id: Joi.number().integer().required() }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const task = presentTask(await getTask(viewer, Number(request.params.id)));
          const { getTimeline } = await import('./service.ts');
          const history = (await getTimeline(task.instanceId)).filter((x) => x.elementId === task.elementId && ['complete', 'comment', 'claim', 'unclaim', 'delegate'].includes(x.event));
          return h.view('pages/engine/task', { pageTitle: task.name ?? task.elementId, task, history, isMine: task.assignee === viewer.username, canClaim: !task.assignee && task.status === 'open' });
        },
      },
      {
        method: 'POST', path: '/tasks/{id}/{action}',
        options: {
          plugins: anyUser,
          validate: {
            params: Joi.object({ id: Joi.number().integer().required(), action: Joi.string().valid('claim', 'unclaim', 'complete', 'comment', 'delegate').required() }),
            payload: Joi.object({ crumb: Joi.string(), variables: Joi.string().allow('').max(100000), comment: Joi.string().allow('').max(4000), username: Joi.string().trim().lowercase().max(64) }).unknown(false),
          },
        },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const id = Number(request.params.id);
          const p = request.payload as { variables?: string; comment?: string };
          switch (request.params.action) {
            case 'claim': await claimTask(viewer, id); return back(h, `/tasks/${id}`);
            case 'unclaim': await unclaimTask(viewer, id); return back(h, `/tasks/${id}`);
            case 'comment': {
              if (p.comment?.trim()) await commentTask(viewer, id, p.comment.trim());
              return back(h, `/tasks/${id}`);
            }
            case 'delegate': {
              const to = (p as { username?: string }).username;
              if (!to) throw new AppError('validation.failed', 400);
              await delegateTask(viewer, id, to);
              return back(h, '/tasks');
            }
            default:
              await completeTask(viewer, id, formVariables(p.variables), p.comment?.trim() || null);
              return back(h, '/tasks?done=1');
          }
        },
      },
      {
        method: 'GET', path: '/engine', options: { plugins: designers },
        handler: async (request, h) => {
          const defs = await listDefinitions();
          const groups = new Map<string, typeof defs>();
          for (const d of defs) groups.set(d.key, [...(groups.get(d.key) ?? []), d]);
          return h.view('pages/engine/definitions', {
            pageTitle: t(request.app.locale, 'engine.cockpit.title'),
            counts: await engineCounts(),
            definitions: [...groups.entries()].map(([key, versions]) => ({ key, name: versions[0].name, latest: versions[0], versions })),
            isAdmin: hasRole(mustViewer(request), 'admin'),
            incidents: hasRole(mustViewer(request), 'admin') ? await listIncidents('open') : [],
            failedJobs: hasRole(mustViewer(request), 'admin') ? await listJobs({ status: 'failed' }, 100) : [],
          });
        },
      },
      {
        method: 'POST', path: '/engine/deploy',
        options: { plugins: designers, payload: { output: 'data', parse: true, multipart: true, maxBytes: 5 * 1024 * 1024 } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.payload as { file?: Buffer | string; filename?: string };
          const xml = Buffer.isBuffer(p.file) ? p.file.toString('utf8') : String(p.file ?? '');
          const result = await deployDefinition(xml, { deployedBy: viewer.username }).catch((err) => localized(request.app.locale, err));
          if (result.isNew) await auditAdmin(request, 'engine.deploy', 'definition', result.id, { key: result.key, version: result.version });
          return back(h, `/engine/definitions/${result.id}`);
        },
      },
      {
        method: 'GET', path: '/engine/definitions/{id}', options: { plugins: designers, validate: { params: Joi.object({ id: Joi.number().integer().required() }) } },
        handler: async (request, h) => {
          const row = await getDefinitionRow({ id: Number(request.params.id) });
          const instances = await listInstances({ definitionKey: row.key, limit: 20 });
          return h.view('pages/engine/definition', { pageTitle: row.name ?? row.key, definition: { id: row.id, key: row.key, version: row.version, name: row.name, sha256: row.sha256, createdAt: row.createdAt, deployedBy: row.deployedBy, sourceName: row.sourceName }, instances: instances.rows });
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
          const result = await listInstances({ definitionKey: q.key || undefined, businessKey: q.businessKey || undefined, status: q.status || undefined, limit: 50, offset: (q.page - 1) * 50 });
          const keys = [...new Set((await listDefinitions()).map((d) => d.key))];
          return h.view('pages/engine/instances', { pageTitle: t(request.app.locale, 'engine.instances.title'), result, values: q, keys, pages: Math.max(1, Math.ceil(result.total / 50)) });
        },
      },
      {
        method: 'GET', path: '/engine/instances/{id}', options: { plugins: designers },
        handler: async (request, h) => {
          const instance = await getInstance(String(request.params.id));
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
        method: 'POST', path: '/engine/instances/{id}/cancel', options: { plugins: admins, validate: { payload: Joi.object({ crumb: Joi.string(), reason: Joi.string().allow('').max(1000) }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          assertAdmin(viewer);
          const reason = (request.payload as { reason?: string }).reason || null;
          await cancelInstance(String(request.params.id), viewer.username, reason);
          await auditAdmin(request, 'engine.instance.cancel', 'instance', String(request.params.id), { reason });
          return back(h, `/engine/instances/${String(request.params.id)}`);
        },
      },
      {
        method: 'POST', path: '/engine/incidents/{id}/retry', options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().required() }), payload: Joi.object({ crumb: Joi.string(), next: Joi.string().pattern(/^\/engine\//) }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const instance = await retryIncident(Number(request.params.id), viewer.username);
          await auditAdmin(request, 'engine.incident.retry', 'incident', String(request.params.id), { instanceId: instance.id });
          return back(h, `/engine/instances/${instance.id}`);
        },
      },
      {
        method: 'POST', path: '/engine/jobs/{id}/retry', options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().required() }), payload: Joi.object({ crumb: Joi.string() }) } },
        handler: async (request, h) => {
          if (!(await retryFailedJob(Number(request.params.id)))) throw new AppError('engine.jobNotFailed', 409, { id: request.params.id });
          await auditAdmin(request, 'engine.job.retry', 'job', Number(request.params.id));
          return back(h, '/engine');
        },
      },
      {
        method: 'POST', path: '/engine/jobs/{id}/due',
        options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().required() }), payload: Joi.object({ crumb: Joi.string(), dueAt: Joi.string().pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/).required() }) } },
        handler: async (request, h) => {
          const job = await EngineJob.findByPk(Number(request.params.id));
          if (!job || !job.instanceId || !job.executionId) throw new AppError('engine.timerNotFound', 404, { id: String(request.params.id) });
          // The form's local time is Vietnam time.
          const dueAt = new Date(`${(request.payload as { dueAt: string }).dueAt}:00+07:00`);
          await moveTimer(job.instanceId, job.executionId, dueAt);
          await auditAdmin(request, 'engine.timer.move', 'instance', job.instanceId, { elementId: job.elementId, from: job.runAt, to: dueAt });
          return back(h, `/engine/instances/${job.instanceId}`);
        },
      },
    ]);
  },
};
