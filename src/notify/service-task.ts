// Engine service handler `notify`: a BPMN service task queues a message through the outbox. Its
// variables (often set by the task's input mappings) say what and to whom:
//   notifyEvent      the template's event, e.g. `deadline-reminder` (required)
//   notifyUsers      usernames (a list, or text separated by commas)
//   notifyGroup      candidate groups `role@orgCode` (a list or text): holders of the role over that unit
//   notifyTo         e-mail addresses (a list or text), e.g. a citizen's address from a variable
//   notifyData       values for the template (an object); `businessKey` is always there
//   notifyNotBefore  an ISO instant: a reminder queued ahead
//   notifyReference  what the message is about (default `instance:ID`), for cancelMessages
//   notifyOnce       true: nothing is queued when a message of this event and reference exists already
// The engine runs handlers before its own transaction (and may run one again when that transaction
// loses a race), so the messages are queued in a transaction of their own; `notifyOnce` makes a
// repetition harmless where a message must go out only once per instance.
import Joi from 'joi';
import { Op } from 'sequelize';
import { registerServiceHandler, type ServiceCall } from '../engine/service.ts';
import { findActiveUsers } from '../auth/service.ts';
import { Invalid } from '../errors.ts';
import { taskRecipients, MAX_TASK_RECIPIENTS } from './recipients.ts';
import { NotifyMessage } from './models.ts';
import { EVENTS } from './templates.ts';
import { getChannels, queueMessages, type QueueInput, type Recipient } from './service.ts';

const listOf = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : []).map((s) => s.trim()).filter(Boolean);

const schema = Joi.object({
  notifyEvent: Joi.string().valid(...EVENTS).required(),
  notifyUsers: Joi.array().items(Joi.string().max(100)).max(MAX_TASK_RECIPIENTS),
  // A group needs its unit: a bare role would reach that role's holders across the whole country.
  notifyGroup: Joi.array().items(Joi.string().pattern(/^(officer|leader|designer|admin)@[A-Za-z0-9._-]{1,40}$/)).max(20),
  notifyTo: Joi.array().items(Joi.string().email({ tlds: false }).max(254)).max(MAX_TASK_RECIPIENTS),
  notifyData: Joi.object().unknown(true),
  notifyNotBefore: Joi.date().iso(),
  notifyReference: Joi.string().max(190),
  notifyOnce: Joi.boolean(),
});

/** Reads the task's variables into a checked request; a bad one fails the try with a message for the incident. */
function requestOf(vars: Record<string, unknown>) {
  const raw = {
    notifyEvent: vars.notifyEvent,
    notifyUsers: vars.notifyUsers === undefined ? undefined : listOf(vars.notifyUsers),
    notifyGroup: vars.notifyGroup === undefined ? undefined : listOf(vars.notifyGroup),
    notifyTo: vars.notifyTo === undefined ? undefined : listOf(vars.notifyTo),
    notifyData: vars.notifyData ?? undefined,
    notifyNotBefore: vars.notifyNotBefore ?? undefined,
    notifyReference: vars.notifyReference ?? undefined,
    notifyOnce: vars.notifyOnce ?? undefined,
  };
  const { error, value } = schema.validate(raw, { abortEarly: true, convert: true, stripUnknown: false });
  if (error) throw Invalid('notify.task.badVariables', { problem: error.message });
  return value as { notifyEvent: string; notifyUsers?: string[]; notifyGroup?: string[]; notifyTo?: string[]; notifyData?: Record<string, unknown>; notifyNotBefore?: Date; notifyReference?: string; notifyOnce?: boolean };
}

/** Queues the message a `notify` service task describes; returns `notifyQueued` (messages written). */
export async function notifyServiceTask(call: ServiceCall): Promise<Record<string, unknown>> {
  const r = requestOf(call.variables);
  if (!r.notifyUsers?.length && !r.notifyGroup?.length && !r.notifyTo?.length) throw Invalid('notify.task.noRecipients');
  const reference = r.notifyReference ?? `instance:${call.instanceId}`;
  if (r.notifyOnce && (await NotifyMessage.count({ where: { reference, event: r.notifyEvent, status: { [Op.ne]: 'cancelled' } } }))) return { notifyQueued: 0 };
  // The people: named users must exist and be active; groups go through the access module's candidate check.
  const people: Recipient[] = [];
  if (r.notifyUsers?.length) {
    const found = await findActiveUsers({ usernames: r.notifyUsers });
    const missing = r.notifyUsers.filter((u) => !found.some((f) => f.username === u));
    if (missing.length) throw Invalid('notify.task.unknownUsers', { usernames: missing.join(', ') });
  }
  for (const p of await taskRecipients({ assignee: null, candidateUsers: r.notifyUsers?.join(',') ?? null, candidateGroups: r.notifyGroup?.join(',') ?? null })) people.push(p);
  const data = { businessKey: call.businessKey, ...(r.notifyData ?? {}) };
  const common = { event: r.notifyEvent, reference, notBefore: r.notifyNotBefore ?? null, data };
  const inputs: QueueInput[] = [];
  for (const p of people) {
    for (const channel of await getChannels(p.userId)) {
      const to = channel === 'email' ? p.email : channel === 'sms' ? p.phone : String(p.userId);
      if (to) inputs.push({ ...common, channel, to, locale: p.locale, recipientUserId: p.userId, recipientOrgCode: p.orgCode ?? null, data: { ...data, recipientName: p.fullName } });
    }
  }
  for (const to of r.notifyTo ?? []) inputs.push({ ...common, channel: 'email', to });
  if (!inputs.length) return { notifyQueued: 0 };
  const rows = await queueMessages(inputs);
  return { notifyQueued: rows.length };
}

registerServiceHandler('notify', notifyServiceTask);
