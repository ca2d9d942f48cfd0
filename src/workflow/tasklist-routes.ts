// The task list's pages: the inbox with filters and counts, the task page with its rendered form and
// decision buttons, and the start page with start forms. Thin handlers over src/workflow/tasklist.ts;
// a submission the server refuses renders the same page again with 400 and every field's message.
import type { Request, ResponseToolkit, ServerRoute } from '@hapi/hapi';
import Joi from 'joi';
import { t, type Locale } from '../i18n/index.ts';
import { mustViewer } from '../web/route-helpers.ts';
import { findInputProblem } from '../web/input-guard.ts';
import type { Role } from '../auth/models.ts';
import { AppError } from '../errors.ts';
import { getTimeline, presentTask } from '../engine/service.ts';
import { claimTask, commentTask, delegateTask, getTask, mayUnassign, ORG_CODE, unassignTask, unclaimTask } from './service.ts';
import { taskPageOf } from './task-pages.ts';
import {
  completeFromPage, groupLabels, inboxFor, INBOX_FILTERS, INBOX_SORTS, plainInputs, processNames, startableProcesses, startFromPage, startPageModel, taskPageModel,
  type InboxFilter, type InboxSort, type PageSubmission,
} from './tasklist.ts';
import type { FieldProblem } from './formjs.ts';

const anyUser = { govflow: { roles: [] as Role[] } };
const staff = { govflow: { roles: ['admin', 'designer', 'officer', 'leader'] as Role[] } };
/** Form values arrive as one JSON text written by the form island (a person never types it). */
const MAX_VALUES = 256 * 1024;
const INPUT_NAME = /^in\.[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Every field problem worded for the reader (`field`, `label`, `message`). */
export function presentFieldProblems(locale: Locale, problems: FieldProblem[]) {
  return problems.map((p) => {
    const label = p.field === 'comment' ? t(locale, 'tasklist.task.comment') : p.field === 'decision' ? t(locale, 'tasklist.task.decision') : p.label;
    return { field: p.field, label, code: p.code, message: t(locale, p.code, { ...p.params, label }) };
  });
}

function fieldProblemsOf(err: unknown): FieldProblem[] | null {
  return err instanceof AppError && err.code === 'tasklist.invalidValues' && Array.isArray(err.details) ? (err.details as FieldProblem[]) : null;
}

/** The island's JSON text gets the edge check every body gets (nesting, keys, sizes) before a service reads it. */
function checkValuesText(text: string | undefined): void {
  if (!text) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The service reports unreadable values as a field problem.
    return;
  }
  const problem = findInputProblem(parsed, 'values');
  if (problem) throw new AppError(`validation.${problem.type}`, 400, { field: problem.field, limit: problem.limit });
}

function back(h: ResponseToolkit, to: string) {
  return h.redirect(to).code(303);
}

/** The task page's view model (also used to show a refused submission again). */
async function taskPage(request: Request, h: ResponseToolkit, id: number, refused?: { problems: FieldProblem[]; sub: PageSubmission }) {
  const viewer = mustViewer(request);
  const locale = request.app.locale;
  const own = await taskPageOf(await getTask(viewer, id));
  if (own) return h.redirect(own);
  const model = await taskPageModel(viewer, id);
  const task = presentTask(model.task);
  const [names, groups] = await Promise.all([processNames(), groupLabels(locale, task.candidateGroups)]);
  const history = (await getTimeline(task.instanceId)).filter((x) => x.elementId === task.elementId && ['complete', 'comment', 'claim', 'unclaim', 'delegate', 'unassign'].includes(x.event));
  let data = model.data;
  if (refused?.sub.values) {
    try {
      data = { ...data, ...JSON.parse(refused.sub.values) };
    } catch {
      // The unreadable text is what the problem list reports.
    }
  }
  const inputs = plainInputs(task.input).map((p) => ({ ...p, value: refused?.sub.inputs && Object.hasOwn(refused.sub.inputs, p.key) ? refused.sub.inputs[p.key] : p.value }));
  const problems = refused ? presentFieldProblems(locale, refused.problems) : [];
  const view = h.view('pages/engine/task', {
    pageTitle: task.name ?? task.elementId,
    task, history,
    processName: names.get(task.processKey) ?? task.processKey,
    groupNames: task.candidateGroups.map((g) => groups.get(g) ?? g),
    isMine: task.assignee === viewer.username,
    canClaim: !task.assignee && task.status === 'open',
    canUnassign: await mayUnassign(viewer, model.task),
    form: model.form,
    formJson: model.form.schema ? JSON.stringify(model.form.schema) : '',
    dataJson: JSON.stringify(data),
    documentation: model.documentation,
    decisions: model.decisions,
    inputs,
    problems,
    commentProblem: problems.find((p) => p.field === 'comment') ?? null,
    decisionProblem: problems.find((p) => p.field === 'decision') ?? null,
    comment: refused?.sub.comment ?? '',
  });
  return refused ? view.code(400) : view;
}

/** The task list's routes. */
export function tasklistRoutes(): ServerRoute[] {
  return [
    {
      method: 'GET', path: '/tasks',
      options: {
        plugins: anyUser,
        validate: {
          query: Joi.object({
            filter: Joi.string().valid(...INBOX_FILTERS).default('all'),
            process: Joi.string().max(190).allow(''),
            sort: Joi.string().valid(...INBOX_SORTS).default('due'),
            done: Joi.number().integer().min(1),
          }),
        },
      },
      handler: async (request, h) => {
        const viewer = mustViewer(request);
        const locale = request.app.locale;
        const q = request.query as { filter: InboxFilter; process?: string; sort: InboxSort; done?: number };
        const inbox = await inboxFor(viewer, { filter: q.filter, processKey: q.process || undefined, sort: q.sort });
        const names = new Map(inbox.processes.map((p) => [p.key, p.name]));
        const groups = await groupLabels(locale, inbox.tasks.flatMap((x) => (x.candidateGroups ?? '').split(',').filter(Boolean)));
        const tasks = inbox.tasks.map(presentTask).map((x) => ({
          ...x, processName: names.get(x.processKey) ?? x.processKey, groupNames: x.candidateGroups.map((g) => groups.get(g) ?? g), isOverdue: inbox.overdue.has(x.id),
        }));
        let doneName: string | null = null;
        if (q.done) doneName = await getTask(viewer, q.done).then((x) => (x.status === 'completed' ? x.name ?? x.elementId : null), () => null);
        return h.view('pages/engine/inbox', {
          pageTitle: t(locale, 'tasklist.inbox.title'), tasks, values: q, filters: INBOX_FILTERS.map((f) => ({ id: f, count: inbox.counts[f] })), sorts: INBOX_SORTS, processes: inbox.processes,
          doneName, isDone: !!q.done,
        });
      },
    },
    {
      method: 'GET', path: '/tasks/{id}', options: { plugins: anyUser, validate: { params: Joi.object({ id: Joi.number().integer().required() }) } },
      handler: async (request, h) => taskPage(request, h, Number(request.params.id)),
    },
    {
      method: 'POST', path: '/tasks/{id}/{action}',
      options: {
        plugins: anyUser,
        validate: {
          params: Joi.object({ id: Joi.number().integer().required(), action: Joi.string().valid('claim', 'unclaim', 'unassign', 'complete', 'comment', 'delegate').required() }),
          payload: Joi.object({
            crumb: Joi.string(), values: Joi.string().allow('').max(MAX_VALUES), decision: Joi.string().max(190).allow(''), comment: Joi.string().allow('').max(4000),
            username: Joi.string().trim().lowercase().max(64),
          }).pattern(INPUT_NAME, Joi.string().allow('').max(4000)),
        },
      },
      handler: async (request, h) => {
        const viewer = mustViewer(request);
        const id = Number(request.params.id);
        const p = (request.payload ?? {}) as Record<string, string | undefined>;
        switch (request.params.action) {
          case 'claim': await claimTask(viewer, id); return back(h, `/tasks/${id}`);
          case 'unclaim': await unclaimTask(viewer, id); return back(h, `/tasks/${id}`);
          case 'unassign': await unassignTask(viewer, id); return back(h, `/tasks/${id}`);
          case 'comment': {
            if (p.comment?.trim()) await commentTask(viewer, id, p.comment.trim());
            return back(h, `/tasks/${id}`);
          }
          case 'delegate': {
            if (!p.username) throw new AppError('validation.failed', 400);
            await delegateTask(viewer, id, p.username);
            return back(h, '/tasks');
          }
          default: {
            const inputs: Record<string, string> = Object.create(null);
            for (const [k, v] of Object.entries(p)) if (INPUT_NAME.test(k) && typeof v === 'string') inputs[k.slice(3)] = v;
            checkValuesText(p.values);
            const sub: PageSubmission = { values: p.values, decision: p.decision || undefined, comment: p.comment, inputs: { ...inputs } };
            try {
              await completeFromPage(viewer, id, sub);
            } catch (err) {
              const problems = fieldProblemsOf(err);
              if (!problems) throw err;
              return taskPage(request, h, id, { problems, sub });
            }
            return back(h, `/tasks?done=${id}`);
          }
        }
      },
    },
    {
      method: 'GET', path: '/start', options: { plugins: staff, validate: { query: Joi.object({ started: Joi.string().max(255) }) } },
      handler: async (request, h) => {
        const viewer = mustViewer(request);
        const started = (request.query as { started?: string }).started ?? null;
        return h.view('pages/engine/start-list', { pageTitle: t(request.app.locale, 'tasklist.start.title'), processes: await startableProcesses(viewer), started });
      },
    },
    {
      method: 'GET', path: '/start/{key}', options: { plugins: staff, validate: { params: Joi.object({ key: Joi.string().max(190).required() }) } },
      handler: async (request, h) => startPage(request, h, String(request.params.key)),
    },
    {
      method: 'POST', path: '/start/{key}',
      options: {
        plugins: staff,
        validate: {
          params: Joi.object({ key: Joi.string().max(190).required() }),
          payload: Joi.object({ crumb: Joi.string(), values: Joi.string().allow('').max(MAX_VALUES), businessKey: Joi.string().trim().max(190).allow(''), orgCode: Joi.string().trim().pattern(ORG_CODE).allow('') }),
        },
      },
      handler: async (request, h) => {
        const viewer = mustViewer(request);
        const key = String(request.params.key);
        const p = request.payload as { values?: string; businessKey?: string; orgCode?: string };
        checkValuesText(p.values);
        try {
          const started = await startFromPage(viewer, key, p);
          return back(h, `/start?started=${encodeURIComponent(started.name)}`);
        } catch (err) {
          const problems = fieldProblemsOf(err);
          if (!problems) throw err;
          return startPage(request, h, key, { problems, sub: p });
        }
      },
    },
  ];
}

async function startPage(request: Request, h: ResponseToolkit, key: string, refused?: { problems: FieldProblem[]; sub: { values?: string; businessKey?: string; orgCode?: string } }) {
  const viewer = mustViewer(request);
  const model = await startPageModel(viewer, key);
  let data: Record<string, unknown> = {};
  if (refused?.sub.values) {
    try {
      data = JSON.parse(refused.sub.values);
    } catch {
      data = {};
    }
  }
  const view = h.view('pages/engine/start', {
    pageTitle: model.name, process: model, form: model.form, formJson: model.form.schema ? JSON.stringify(model.form.schema) : '', dataJson: JSON.stringify(data),
    problems: refused ? presentFieldProblems(request.app.locale, refused.problems) : [],
    businessKey: refused?.sub.businessKey ?? '', orgCode: refused?.sub.orgCode ?? viewer.orgCode ?? '',
  });
  return refused ? view.code(400) : view;
}
