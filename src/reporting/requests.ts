// Ad hoc report requests (báo cáo đột xuất): a leader asks chosen units in their scope for a report on
// an existing regime's form with its own deadline. Each request becomes a regime of its own
// (`BASE-DXn`, only the chosen units reporting to the leader's unit) and its cycle is opened with
// `openCycle`, so the units get the report task and every screen of a cycle works; the units' officers
// are told in the same transaction that records the deadline.
import { Op } from 'sequelize';
import { Report, ReportingCycle, ReportingRegime, ReportingRequest } from './models.ts';
import { exportRegime, getRegime, importRegime, openCycle, reportLink, JOB_REMIND, type RegimeView } from './service.ts';
import { periodContaining } from './periods.ts';
import { canAccessOrg, hasRole, type Viewer } from '../access/index.ts';
import { actorOf } from '../auth/service.ts';
import { appendAudit } from '../audit/service.ts';
import { getOrgByCode, listChildren } from '../orgs/service.ts';
import { getChannels, queueMessages, type QueueInput, type Recipient } from '../notify/service.ts';
import type { Channel } from '../notify/models.ts';
import { taskRecipients } from '../notify/recipients.ts';
import { enqueueJob } from '../engine/service.ts';
import { Forbidden } from '../errors.ts';
import { inTransaction } from '../store/index.ts';

/** Most units one request may name. */
export const MAX_REQUEST_UNITS = 500;
/** Latest deadline of a request, in days from now. */
export const MAX_REQUEST_DAYS = 366;

/** A unit a leader may ask, grouped under the unit that asks. */
export interface RequestableUnit { code: string; name: string; level: string }

/** The units each of the viewer's leader roles may ask: the children of the unit the role is held over (provinces for a national leader). */
export async function requestableUnits(viewer: Viewer): Promise<Array<{ requester: RequestableUnit; units: RequestableUnit[] }>> {
  const out: Array<{ requester: RequestableUnit; units: RequestableUnit[] }> = [];
  const seen = new Set<string>();
  for (const role of viewer.roles) {
    if (role.role !== 'leader' && role.role !== 'admin') continue;
    const root = await getOrgByCode(role.orgCode ?? 'VN').catch(() => null);
    if (!root || seen.has(root.code)) continue;
    seen.add(root.code);
    const kids = await listChildren(root.id);
    out.push({ requester: { code: root.code, name: root.name, level: root.level }, units: kids.map((k) => ({ code: k.code, name: k.name, level: k.level })) });
  }
  return out;
}

/** What a leader sends. */
export interface RequestInput {
  regime: string;
  title: string;
  deadline: string;
  requester: string;
  units: string[];
}

/** One problem of a request's input, by field. */
export interface RequestProblem { field: string; key: string; params?: Record<string, unknown> }

/** A request as the list shows it. */
export interface RequestView {
  id: number;
  title: string;
  regime: string;
  sourceRegime: string | null;
  period: string | null;
  requester: string | null;
  units: string[];
  deadline: Date;
  createdAt: Date;
  submitted: number;
}

/** Reads the deadline: a date (end of that day, Vietnam time) or an ISO instant. */
function parseDeadline(text: string): Date | null {
  const s = text.trim();
  const d = /^\d{4}-\d{2}-\d{2}$/.test(s) ? new Date(`${s}T23:59:59.999+07:00`) : new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

/**
 * Sends an ad hoc request: checks the input (problems by field, nothing written), then creates the
 * request's regime and opens its cycle for the chosen units with the request's deadline, schedules the
 * reminders and the overdue escalation, and tells the units' officers.
 */
export async function sendRequest(viewer: Viewer, input: RequestInput): Promise<{ request: RequestView | null; problems: RequestProblem[] }> {
  if (!hasRole(viewer, 'leader', 'admin')) throw Forbidden();
  const problems: RequestProblem[] = [];
  const title = input.title.trim().normalize('NFC');
  if (!title) problems.push({ field: 'title', key: 'reporting.screens.request.err.title' });
  let base: RegimeView | null = null;
  try {
    base = await getRegime(input.regime);
  } catch {
    problems.push({ field: 'regime', key: 'reporting.screens.request.err.regime' });
  }
  const deadline = parseDeadline(input.deadline);
  const now = Date.now();
  if (!deadline) problems.push({ field: 'deadline', key: 'reporting.screens.request.err.deadline' });
  else if (deadline.getTime() <= now) problems.push({ field: 'deadline', key: 'reporting.screens.request.err.deadlinePast' });
  else if (deadline.getTime() > now + MAX_REQUEST_DAYS * 86_400_000) problems.push({ field: 'deadline', key: 'reporting.screens.request.err.deadlineFar', params: { days: MAX_REQUEST_DAYS } });
  const codes = [...new Set(input.units.map((u) => u.trim()).filter(Boolean))];
  const groups = await requestableUnits(viewer);
  // The requester must be a unit the viewer leads; every chosen unit one of its children.
  const group = groups.find((g) => g.requester.code === input.requester);
  if (!group) problems.push({ field: 'requester', key: 'reporting.screens.request.err.requester' });
  if (!codes.length) problems.push({ field: 'units', key: 'reporting.screens.request.err.noUnits' });
  else if (codes.length > MAX_REQUEST_UNITS) problems.push({ field: 'units', key: 'reporting.screens.request.err.tooMany', params: { max: MAX_REQUEST_UNITS } });
  else if (group) {
    const allowed = new Set(group.units.map((u) => u.code));
    const outside = codes.filter((c) => !allowed.has(c));
    if (outside.length) problems.push({ field: 'units', key: 'reporting.screens.request.err.outside', params: { codes: outside.slice(0, 5).join(', ') } });
  }
  if (problems.length || !base || !deadline || !group) return { request: null, problems };
  const requesterOrg = await getOrgByCode(group.requester.code);
  if (!canAccessOrg(viewer, requesterOrg.path, ['leader', 'admin'])) throw Forbidden();

  const period = periodContaining(base.frequency, new Date()).period;
  const row = await ReportingRequest.create({ regimeId: base.id, sourceRegimeId: base.id, title, unitCodes: codes.join(','), deadline, requestedBy: viewer.userId, requesterCode: group.requester.code, period });
  const code = `${base.code}-DX${row.id}`.slice(0, 64);
  // The request's own regime is the system's doing on the leader's behalf (the leader is no designer); the audit row below names the leader.
  const { regime } = await importRegime(null, {
    ...exportRegime(base), code, name: `${title} (${base.name})`.slice(0, 500), reporters: { tree: base.reporters.tree ?? 'current', levels: [], within: null, units: codes },
    recipientCode: group.requester.code, reminderDays: [],
  });
  const opened = await openCycle(code, period);
  const recipients = await officersOf(codes);
  const request = await inTransaction(async (tx) => {
    await Report.update({ deadline }, { where: { cycleId: opened.cycleId }, transaction: tx });
    await ReportingCycle.update({ deadline }, { where: { id: opened.cycleId }, transaction: tx });
    await row.update({ regimeId: regime.id, cycleId: opened.cycleId }, { transaction: tx });
    await appendAudit(actorOf(viewer), { action: 'reporting.request.send', targetType: 'reportingRequest', targetId: row.id, detail: { regime: code, from: base.code, period, units: codes.length, deadline: deadline.toISOString() } }, tx);
    const messages: QueueInput[] = [];
    for (const { person, channels, unit } of recipients) {
      for (const channel of channels) {
        const to = channel === 'email' ? person.email : channel === 'sms' ? person.phone : String(person.userId);
        if (!to) continue;
        messages.push({ channel, event: 'task-assigned', locale: person.locale ?? 'vi', to, recipientUserId: person.userId, recipientOrgCode: unit, senderOrgCode: group.requester.code, reference: `request:${row.id}`, data: { recipientName: person.fullName, taskName: title, dueAt: deadline, link: reportLink(code, period, unit) } });
      }
    }
    if (messages.length) await queueMessages(messages, { transaction: tx });
    return row;
  });
  // Reminders count back from the request's own deadline; the escalation follows it.
  for (const d of base.reminderDays) {
    const at = deadline.getTime() - d * 86_400_000;
    if (at > Date.now()) await enqueueJob(JOB_REMIND, { cycleId: opened.cycleId, kind: 'reminder', days: d }, new Date(at));
  }
  await enqueueJob(JOB_REMIND, { cycleId: opened.cycleId, kind: 'overdue' }, new Date(deadline.getTime() + 1));
  return { request: await viewOf(request, code, base.code, 0), problems: [] };
}

/** The officers each unit's report task goes to, with their channels: read before the transaction opens. */
async function officersOf(codes: string[]): Promise<Array<{ person: Recipient; channels: Channel[]; unit: string }>> {
  const out: Array<{ person: Recipient; channels: Channel[]; unit: string }> = [];
  for (const unit of codes) {
    for (const person of await taskRecipients({ assignee: null, candidateUsers: null, candidateGroups: `officer@${unit}`, orgCode: unit })) out.push({ person, channels: await getChannels(person.userId), unit });
  }
  return out;
}

async function viewOf(r: ReportingRequest, regimeCode: string, sourceCode: string | null, submitted: number): Promise<RequestView> {
  return { id: r.id, title: r.title, regime: regimeCode, sourceRegime: sourceCode, period: r.period, requester: r.requesterCode, units: r.unitCodes.split(',').filter(Boolean), deadline: r.deadline, createdAt: r.createdAt, submitted };
}

/** The requests made by the units the viewer leads (all for a national role), newest first, with how many units have sent. */
export async function listRequests(viewer: Viewer, limit = 50): Promise<RequestView[]> {
  const groups = await requestableUnits(viewer);
  if (!groups.length) return [];
  const rows = await ReportingRequest.findAll({ where: { requesterCode: { [Op.in]: groups.map((g) => g.requester.code) }, cycleId: { [Op.ne]: null } }, order: [['id', 'DESC']], limit });
  const out: RequestView[] = [];
  const regimes = new Map((await ReportingRegime.findAll({ where: { id: { [Op.in]: [...new Set(rows.flatMap((r) => [r.regimeId, r.sourceRegimeId ?? r.regimeId]))] } }, attributes: ['id', 'code'] })).map((g) => [g.id, g.code]));
  for (const r of rows) {
    const submitted = await Report.count({ where: { cycleId: r.cycleId!, status: 'submitted' } });
    out.push(await viewOf(r, regimes.get(r.regimeId) ?? '', r.sourceRegimeId ? regimes.get(r.sourceRegimeId) ?? null : null, submitted));
  }
  return out;
}
