// Plugin `govflow/engine-rest`: a subset of Camunda 7's REST API under `/engine-rest` for machine callers
// (external-task workers such as camunda-external-task-client-js, systems that start processes or send
// messages), authenticated by API client credentials over HTTP Basic; and the admin page that issues and
// revokes those credentials. Answers and errors are shaped as Camunda's, so its clients read them.
import type { Plugin, Request, ResponseObject, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import Boom from '@hapi/boom';
import Joi from 'joi';
import { t } from '../i18n/index.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import type { Role } from '../auth/models.ts';
import type { MachineCaller } from '../access/index.ts';
import { AppError } from '../errors.ts';
import { getConfig } from '../config.ts';
import { addApiClient, authenticateBasic, listApiClients, revokeApiClient } from './service.ts';
import { bpmnErrorFor, completeFor, correlateFor, extendLockFor, failFor, fetchFor, startFor, unlockFor } from './tasks.ts';
import { fromTyped } from './variables.ts';
import { presentInstance, presentLockedTask, presentMessageResult } from './presenters.ts';

const STRATEGY = 'api-client';
const machine = { govflow: { machine: true }, crumb: false };
const admins = { govflow: { roles: ['admin'] as Role[] } };
/** Camunda refuses an asyncResponseTimeout above 30 minutes. */
const CAMUNDA_MAX_WAIT_MS = 1_800_000;

const id = Joi.string().max(64).pattern(/^[A-Za-z0-9-]+$/).required();
const workerId = Joi.string().max(190).required();
const typedVariables = Joi.object().pattern(Joi.string().max(190), Joi.object({ value: Joi.any(), type: Joi.string().max(64), valueInfo: Joi.object().unknown(true) })).allow(null);

const topicSchema = Joi.object({
  topicName: Joi.string().max(190).required(),
  lockDuration: Joi.number().integer().min(1).max(7 * 24 * 3600 * 1000).required(),
  variables: Joi.array().items(Joi.string().max(190)).max(500).allow(null),
  businessKey: Joi.string().max(190).allow(null),
  processDefinitionKey: Joi.string().max(190).allow(null),
  // Accepted as Camunda's clients send them; govflow has no local variables, tenants or extension properties.
  localVariables: Joi.boolean(),
  includeExtensionProperties: Joi.boolean(),
  withoutTenantId: Joi.boolean(),
  deserializeValues: Joi.boolean(),
});

/** Validation failures in Camunda's error shape. */
function camundaFailAction(request: Request, _h: ResponseToolkit, err: Error | undefined): never {
  const details = (err as Joi.ValidationError | undefined)?.details ?? [];
  const message = details.map((d) => d.message).join('; ') || t(request.app.locale ?? 'vi', 'apiclients.invalidRequest');
  throw Boom.badRequest(message, { code: 'validation.failed', params: {}, details: details.map((d) => ({ field: d.path.join('.'), type: d.type, message: d.message })) });
}

function callerOf(request: Request): MachineCaller {
  return request.auth.credentials as unknown as MachineCaller;
}

/** Camunda's exception names for each status, which its clients show. */
const CAMUNDA_TYPES: Record<number, string> = { 400: 'InvalidRequestException', 401: 'AuthenticationException', 403: 'AuthorizationException', 404: 'InvalidRequestException', 409: 'OptimisticLockingException', 500: 'ProcessEngineException' };

function restRoutes(): ServerRoute[] {
  const route = (method: 'GET' | 'POST', path: string, validate: Record<string, unknown>, handler: ServerRoute['handler']): ServerRoute => ({
    method, path: `/engine-rest${path}`, handler,
    options: { auth: { strategy: STRATEGY, mode: 'required' }, plugins: machine, validate: { ...validate, failAction: camundaFailAction } },
  });
  const noContent = (h: ResponseToolkit) => h.response().code(204);
  return [
    route('POST', '/external-task/fetchAndLock', {
      payload: Joi.object({
        workerId, maxTasks: Joi.number().integer().min(0).max(1000).required(), usePriority: Joi.boolean(),
        asyncResponseTimeout: Joi.number().integer().min(0).max(CAMUNDA_MAX_WAIT_MS),
        topics: Joi.array().items(topicSchema).max(100).required(),
        sorting: Joi.array().items(Joi.object({ sortBy: Joi.string().valid('createTime'), sortOrder: Joi.string().valid('asc') })).max(1),
      }),
    }, async (request) => {
      const p = request.payload as { workerId: string; maxTasks: number; usePriority?: boolean; asyncResponseTimeout?: number; topics: Array<{ topicName: string; lockDuration: number; variables?: string[] | null; businessKey?: string | null; processDefinitionKey?: string | null }> };
      // A long poll waits without a database connection; it ends early when the worker hangs up.
      const abort = new AbortController();
      const onClose = () => abort.abort();
      request.raw.req.once('close', onClose);
      try {
        const tasks = await fetchFor(callerOf(request), {
          workerId: p.workerId, maxTasks: p.maxTasks, usePriority: p.usePriority, topics: p.topics,
          asyncResponseTimeout: Math.min(p.asyncResponseTimeout ?? 0, getConfig().engineRestMaxWaitMs),
        }, abort.signal);
        return tasks.map(presentLockedTask);
      } finally {
        request.raw.req.off('close', onClose);
      }
    }),
    route('POST', '/external-task/{id}/complete', {
      params: Joi.object({ id }), payload: Joi.object({ workerId, variables: typedVariables, localVariables: typedVariables }),
    }, async (request, h) => {
      const p = request.payload as { workerId: string; variables?: unknown; localVariables?: unknown };
      // govflow keeps no local variables: both go to the process, local ones last, as the task's result.
      await completeFor(callerOf(request), String(request.params.id), p.workerId, { ...fromTyped(p.variables), ...fromTyped(p.localVariables) });
      return noContent(h);
    }),
    route('POST', '/external-task/{id}/failure', {
      params: Joi.object({ id }),
      payload: Joi.object({
        workerId, errorMessage: Joi.string().max(10000).allow('', null), errorDetails: Joi.string().max(100000).allow('', null),
        retries: Joi.number().integer().min(0).max(1000).required(), retryTimeout: Joi.number().integer().min(0).max(365 * 24 * 3600 * 1000).default(0),
        variables: typedVariables, localVariables: typedVariables,
      }),
    }, async (request, h) => {
      const p = request.payload as { workerId: string; errorMessage?: string | null; errorDetails?: string | null; retries: number; retryTimeout: number };
      await failFor(callerOf(request), String(request.params.id), p.workerId, { errorMessage: p.errorMessage || null, errorDetails: p.errorDetails || null, retries: p.retries, retryTimeout: p.retryTimeout });
      return noContent(h);
    }),
    route('POST', '/external-task/{id}/bpmnError', {
      params: Joi.object({ id }),
      payload: Joi.object({ workerId, errorCode: Joi.string().max(190).required(), errorMessage: Joi.string().max(10000).allow('', null), variables: typedVariables }),
    }, async (request, h) => {
      const p = request.payload as { workerId: string; errorCode: string; errorMessage?: string | null; variables?: unknown };
      await bpmnErrorFor(callerOf(request), String(request.params.id), p.workerId, p.errorCode, p.errorMessage || null, fromTyped(p.variables));
      return noContent(h);
    }),
    route('POST', '/external-task/{id}/extendLock', {
      params: Joi.object({ id }), payload: Joi.object({ workerId, newDuration: Joi.number().integer().min(1).max(7 * 24 * 3600 * 1000).required() }),
    }, async (request, h) => {
      const p = request.payload as { workerId: string; newDuration: number };
      await extendLockFor(callerOf(request), String(request.params.id), p.workerId, p.newDuration);
      return noContent(h);
    }),
    route('POST', '/external-task/{id}/unlock', { params: Joi.object({ id }), payload: Joi.object({}).allow(null) }, async (request, h) => {
      await unlockFor(callerOf(request), String(request.params.id));
      return noContent(h);
    }),
    route('POST', '/process-definition/key/{key}/start', {
      params: Joi.object({ key: Joi.string().max(190).pattern(/^[\p{L}\p{N}_.:-]+$/u).required() }),
      payload: Joi.object({ variables: typedVariables, businessKey: Joi.string().max(190).allow(null, ''), withVariablesInReturn: Joi.boolean() }).allow(null),
    }, async (request) => {
      const p = (request.payload ?? {}) as { variables?: unknown; businessKey?: string | null; withVariablesInReturn?: boolean };
      const started = await startFor(callerOf(request), String(request.params.key), { businessKey: p.businessKey || null, variables: fromTyped(p.variables) });
      return presentInstance(started, getConfig().baseUrl, !!p.withVariablesInReturn);
    }),
    route('POST', '/message', {
      payload: Joi.object({
        messageName: Joi.string().max(190).required(), businessKey: Joi.string().max(190).allow(null, ''),
        correlationKeys: typedVariables, processVariables: typedVariables, processVariablesLocal: typedVariables,
        resultEnabled: Joi.boolean(), variablesInResultEnabled: Joi.boolean(), all: Joi.boolean().valid(false),
      }),
    }, async (request, h) => {
      const p = request.payload as { messageName: string; businessKey?: string | null; correlationKeys?: unknown; processVariables?: unknown; processVariablesLocal?: unknown; resultEnabled?: boolean; variablesInResultEnabled?: boolean };
      const keys = Object.values(fromTyped(p.correlationKeys));
      // The engine correlates by one key per subscription (the business key, or Camunda 8's correlationKey).
      if (keys.length > 1 || (keys.length === 1 && p.businessKey)) throw new AppError('apiclients.oneCorrelationKey', 400);
      const key = p.businessKey || (keys.length ? String(keys[0]) : null);
      const result = await correlateFor(callerOf(request), p.messageName, key, { ...fromTyped(p.processVariables), ...fromTyped(p.processVariablesLocal) });
      if (!p.resultEnabled) return noContent(h);
      return [presentMessageResult(result, getConfig().baseUrl, !!p.variablesInResultEnabled)];
    }),
  ];
}

const addSchema = Joi.object({
  crumb: Joi.string().allow(''),
  name: Joi.string().trim().min(1).max(190).required(),
  topics: Joi.string().trim().max(4000).allow(''),
  processes: Joi.string().trim().max(4000).allow(''),
});

async function adminPage(request: Request, h: ResponseToolkit, extra: Record<string, unknown> = {}, status = 200) {
  const locale = request.app.locale ?? 'vi';
  const rows = await listApiClients();
  return h.view('pages/engine-rest/api-clients', { pageTitle: t(locale, 'apiclients.title'), rows, baseUrl: `${getConfig().baseUrl.replace(/\/$/, '')}/engine-rest`, ...extra }).code(status);
}

function adminRoutes(): ServerRoute[] {
  return [
    {
      method: 'GET', path: '/admin/api-clients',
      options: { plugins: admins, validate: { query: Joi.object({ revoked: Joi.string().max(40).pattern(/^gfc_[0-9a-f]{16}$/) }) } },
      handler: (request, h) => adminPage(request, h, { revoked: (request.query.revoked as string | undefined) ?? null }),
    },
    {
      method: 'POST', path: '/admin/api-clients',
      options: { plugins: admins, validate: { payload: addSchema } },
      handler: async (request, h) => {
        const viewer = mustViewer(request);
        const p = request.payload as { name: string; topics?: string; processes?: string };
        try {
          const { client, secret } = await addApiClient({ name: p.name, topics: p.topics ?? '', processes: p.processes ?? '' }, { id: viewer.userId, username: viewer.username, ip: viewer.ip });
          // The secret is on this answer only: never cached, never shown again.
          const res = (await adminPage(request, h, { issued: { ...client, secret } }, 201)) as ResponseObject;
          return res.header('cache-control', 'no-store');
        } catch (err) {
          if (!(err instanceof AppError) || err.status !== 400) throw err;
          return adminPage(request, h, { formError: t(request.app.locale ?? 'vi', err.code, err.params), values: p }, 400);
        }
      },
    },
    {
      method: 'POST', path: '/admin/api-clients/{id}/revoke',
      options: { plugins: admins, validate: { params: Joi.object({ id: Joi.string().max(40).required() }), payload: Joi.object({ crumb: Joi.string().allow('') }) } },
      handler: async (request, h) => {
        const viewer = mustViewer(request);
        const revoked = await revokeApiClient(String(request.params.id), { id: viewer.userId, username: viewer.username, ip: viewer.ip });
        return h.redirect(`/admin/api-clients?revoked=${encodeURIComponent(revoked.id)}`);
      },
    },
  ];
}

/**
 * Sends `application/json` without a charset parameter: camunda-external-task-client-js parses a body
 * as JSON only when the type is exactly that (JSON is UTF-8 by definition).
 */
function plainJson(res: ResponseObject): void {
  res.charset(null as unknown as string);
}

/** Plugin `govflow/engine-rest`. */
export const engineRestPlugin: Plugin<void> = {
  name: 'govflow/engine-rest',
  register(server) {
    registerNav({ href: '/admin/api-clients', label: 'apiclients.nav', roles: ['admin'], order: 96 });
    server.auth.scheme('govflow-api-client', () => ({
      async authenticate(request, h) {
        const caller = await authenticateBasic(request.headers.authorization as string | undefined);
        if (!caller) throw Boom.unauthorized(null, 'Basic', { realm: 'govflow engine-rest' });
        return h.authenticated({ credentials: caller as never });
      },
    }));
    server.auth.strategy(STRATEGY, 'govflow-api-client');
    server.route([...restRoutes(), ...adminRoutes()]);
    // After the server's own error handling: Camunda's error shape, its plain JSON type, and the Basic challenge.
    server.ext('onPreResponse', (request, h) => {
      if (!request.path.startsWith('/engine-rest/')) return h.continue;
      const response = request.response as ResponseObject & { isBoom?: boolean };
      if (response.isBoom) return h.continue;
      const status = response.statusCode;
      const source = response.source as { statusCode?: number; message?: string; code?: string; details?: unknown } | null;
      if (status >= 400 && source && typeof source === 'object') {
        const body = { type: CAMUNDA_TYPES[status] ?? 'RestException', message: source.message ?? '', code: 0, govflowCode: source.code ?? null, ...(source.details !== undefined ? { details: source.details } : {}) };
        const res = h.response(body).code(status).type('application/json');
        plainJson(res);
        for (const name of ['content-security-policy', 'permissions-policy']) {
          const v = response.headers[name];
          if (v) res.header(name, String(v));
        }
        if (status === 401) res.header('www-authenticate', 'Basic realm="govflow engine-rest", charset="UTF-8"');
        return res;
      }
      if (response.variety === 'plain' && source !== null && typeof source === 'object') plainJson(response.type('application/json'));
      return h.continue;
    });
  },
};
