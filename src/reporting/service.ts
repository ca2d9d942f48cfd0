// The reporting domain's rules: regimes, cycles opened once per period with one report and one process
// instance per reporting unit, the fill → review → return/approve → sign flow, and the roll-up of
// children's figures into their parent's report.
import crypto from 'node:crypto';
import Joi from 'joi';
import { Op, QueryTypes, UniqueConstraintError, type Transaction } from 'sequelize';
import { Report, ReportEvent, ReportingCycle, ReportingRegime, type ReportStatus } from './models.ts';
import { assertPeriodOf, isFrequency, periodInfo, previousPeriod, type Frequency } from './periods.ts';
import { assertKnownKeys, describeIssues, getPublished, planOf, prepareInput, type FormVersionView } from '../forms/service.ts';
import { evaluateForm, getValue, type Issue, type Plan } from '../forms/engine.ts';
import { rollupValues } from '../forms/rollup.ts';
import { crossCheck, DEFAULT_CHECKS, type CheckSettings } from './checks.ts';
import { crosscheckDossiers } from './dossier-crosscheck.ts';
import type { FormValues } from '../forms/definition.ts';
import { readXlsxOffThread } from '../forms/render-pool.ts';
import { assertWorkbookWithinLimits } from '../forms/zip-limits.ts';
import { canAccessOrg, hasRole, scopePaths, type Viewer } from '../access/index.ts';
import type { Role } from '../auth/models.ts';
import { actorOf, findActiveUsers, loadViewer, loadViewerByUsername } from '../auth/service.ts';
import { appendAudit } from '../audit/service.ts';
import { getOrgByCode, getOrgsByIds, listSubtree } from '../orgs/service.ts';
import { getChannels, queueMessage, type Recipient } from '../notify/service.ts';
import type { Channel } from '../notify/models.ts';
import { taskRecipients } from '../notify/recipients.ts';
import { cancelInstance, completeTaskAsSystem, ensureShippedProcesses, enqueueJob, findInstances, openTasksOf, registerJobKind, startProcesses, type StartInput } from '../engine/service.ts';
import { signDataAndPdf } from '../signing/service.ts';
import { currentSignedPdf, renderReportPdf, signedPdfsOf, storeSignedPdf, withdrawSignedPdfs, type SignedPdfEntry } from './signed-pdf.ts';
import { BadRequest, Conflict, Forbidden, Invalid, NotFound } from '../errors.ts';
import { db, inTransaction, isMysql } from '../store/index.ts';
import { getConfig } from '../config.ts';
import type { Locale } from '../i18n/index.ts';
import { log } from '../log.ts';

/** The job kind that opens a cycle when its time comes. */
export const JOB_OPEN_CYCLE = 'reporting.openCycle';
/** The job kind that starts the process instances of a slice of a cycle's reports. */
export const JOB_START_INSTANCES = 'reporting.startInstances';
/** The job kind that sends deadline reminders and overdue escalations of a cycle. */
export const JOB_REMIND = 'reporting.remind';

/** Reports whose instances one start job takes. */
const START_SLICE = 100;
/** Rows per INSERT when a cycle opens. */
const INSERT_CHUNK = 500;

/** Roles that fill a unit's report. */
const FILL_ROLES: readonly Role[] = ['officer'];
/** Roles that review, return, approve, sign and reopen. */
const LEAD_ROLES: readonly Role[] = ['leader'];
/** Roles that read reports of the units in their scope. */
const READ_ROLES: readonly Role[] = ['admin', 'designer', 'officer', 'leader'];

// ---------------------------------------------------------------------------------------------
// Regimes

/** Who reports: units of these levels (inside one unit's subtree, or everywhere), and/or a list of codes. */
export interface Reporters {
  tree?: string;
  levels?: string[];
  within?: string | null;
  units?: string[];
}

/** A regime as JSON (what import takes and export gives). */
export interface RegimeJson {
  code: string;
  name: string;
  legalBasis?: string | null;
  formKey: string;
  formVersion?: number;
  processKey?: string;
  frequency: Frequency;
  reporters: Reporters;
  recipientCode?: string | null;
  deadlines: Record<string, number>;
  openOffsetDays?: number;
  reminderDays?: number[];
  isLateAllowed?: boolean;
  lateUntilDays?: number | null;
  checks?: Partial<CheckSettings>;
}

const regimeSchema = Joi.object({
  code: Joi.string().trim().pattern(/^[A-Za-z0-9._-]{1,64}$/).required(),
  name: Joi.string().trim().min(1).max(500).required(),
  legalBasis: Joi.string().allow('', null).max(4000),
  formKey: Joi.string().trim().max(120).required(),
  formVersion: Joi.number().integer().min(1),
  processKey: Joi.string().trim().max(120).default('report-cycle'),
  frequency: Joi.string().valid('month', 'quarter', 'half-year', 'year').required(),
  reporters: Joi.object({
    tree: Joi.string().max(40).default('current'),
    levels: Joi.array().items(Joi.string().valid('central', 'ministry', 'province', 'district', 'commune')).default([]),
    within: Joi.string().allow(null).max(40).default(null),
    units: Joi.array().items(Joi.string().max(40)).max(20000).default([]),
  }).required(),
  recipientCode: Joi.string().allow(null).max(40).default(null),
  // Days of the period's last month; the legal window is the 15th to the 25th (Decree 09/2019 Art. 12).
  deadlines: Joi.object().pattern(Joi.string().valid('central', 'ministry', 'province', 'district', 'commune'), Joi.number().integer().min(15).max(25)).min(1).required(),
  openOffsetDays: Joi.number().integer().min(-30).max(30).default(0),
  reminderDays: Joi.array().items(Joi.number().integer().min(1).max(30)).max(10).default([]),
  isLateAllowed: Joi.boolean().default(true),
  lateUntilDays: Joi.number().integer().min(0).max(365).allow(null).default(null),
  checks: Joi.object({ parentTolerance: Joi.number().min(0).max(10), changeThreshold: Joi.number().min(0).max(1000), zScore: Joi.number().min(0.5).max(100) }).default({}),
}).prefs({ abortEarly: false, convert: true, stripUnknown: false });

/** A regime as services hand it out. */
export interface RegimeView extends Required<Omit<RegimeJson, 'legalBasis' | 'recipientCode' | 'lateUntilDays' | 'checks'>> {
  checks: CheckSettings;
  id: number;
  legalBasis: string | null;
  recipientCode: string | null;
  lateUntilDays: number | null;
}

function regimeView(r: ReportingRegime): RegimeView {
  return {
    id: r.id, code: r.code, name: r.name, legalBasis: r.legalBasis, formKey: r.formKey, formVersion: r.formVersion, processKey: r.processKey,
    frequency: r.frequency as Frequency, reporters: JSON.parse(r.reporters), recipientCode: r.recipientCode, deadlines: JSON.parse(r.deadlines),
    openOffsetDays: r.openOffsetDays, reminderDays: r.reminderDays ? r.reminderDays.split(',').map(Number) : [], isLateAllowed: r.isLateAllowed, lateUntilDays: r.lateUntilDays,
    checks: { ...DEFAULT_CHECKS, ...(r.checks ? JSON.parse(r.checks) : {}) },
  };
}

/** The regime as JSON for export (no database id). */
export function exportRegime(r: RegimeView): RegimeJson {
  const { id: _id, ...rest } = r;
  return rest;
}

/** Every regime, by code. */
export async function listRegimes(): Promise<RegimeView[]> {
  return (await ReportingRegime.findAll({ order: [['code', 'ASC']] })).map(regimeView);
}

/** A regime by code; 404 when there is none. */
export async function getRegime(code: string): Promise<RegimeView> {
  const r = await ReportingRegime.findOne({ where: { code } });
  if (!r) throw NotFound('reporting.regime.notFound', { code });
  return regimeView(r);
}

/** Creates or replaces a regime from JSON (by code): checked against its published form version and the org tree. */
export async function importRegime(viewer: Viewer | null, input: unknown): Promise<{ regime: RegimeView; isNew: boolean }> {
  if (viewer && !hasRole(viewer, 'designer', 'admin')) throw Forbidden();
  const { value, error } = regimeSchema.validate(input);
  if (error) throw BadRequest('reporting.regime.invalid', { message: error.details.map((d) => d.message).join('; ') }, error.details.map((d) => ({ path: d.path.join('.'), message: d.message })));
  const v = value as Required<RegimeJson>;
  const form = await getPublished(v.formKey, v.formVersion);
  const kind = form.definition.periodKind === 'half' ? 'half-year' : form.definition.periodKind;
  if (kind && kind !== 'adhoc' && kind !== v.frequency) throw BadRequest('reporting.regime.formPeriodKind', { form: form.key, kind: form.definition.periodKind });
  for (const code of [v.reporters.within, v.recipientCode].filter(Boolean) as string[]) {
    await getOrgByCode(code, v.reporters.tree).catch(() => { throw BadRequest('reporting.regime.unknownUnit', { code }); });
  }
  const data = {
    code: v.code, name: v.name.normalize('NFC'), legalBasis: v.legalBasis || null, formKey: form.key, formVersion: form.version, processKey: v.processKey,
    frequency: v.frequency, reporters: JSON.stringify(v.reporters), recipientCode: v.recipientCode, deadlines: JSON.stringify(v.deadlines),
    openOffsetDays: v.openOffsetDays, reminderDays: v.reminderDays.join(','), isLateAllowed: v.isLateAllowed, lateUntilDays: v.lateUntilDays, checks: JSON.stringify(v.checks ?? {}),
  };
  return inTransaction(async (tx) => {
    const existing = await ReportingRegime.findOne({ where: { code: v.code }, transaction: tx, lock: tx.LOCK.UPDATE });
    const row = existing ? await existing.update(data, { transaction: tx }) : await ReportingRegime.create(data, { transaction: tx });
    await appendAudit(actorOf(viewer), { action: existing ? 'reporting.regime.update' : 'reporting.regime.create', targetType: 'reportingRegime', targetId: row.id, detail: { code: v.code, form: `${form.key}@${form.version}` } }, tx);
    return { regime: regimeView(row), isNew: !existing };
  });
}

// ---------------------------------------------------------------------------------------------
// Cycles

/** The deadline of one level in a period: that day of the period's last month, end of day, Vietnam time. */
export function levelDeadline(regime: RegimeView, period: string, level: string): Date {
  const legal = periodInfo(period).deadline;
  const days = Object.values(regime.deadlines);
  const day = regime.deadlines[level] ?? Math.max(...days);
  return new Date(`${legal.slice(0, 8)}${String(day).padStart(2, '0')}${legal.slice(10)}`);
}

/** The last moment entry is accepted: the deadline, or later when the regime allows late reports. */
function entryClosesAt(regime: RegimeView, deadline: Date): Date | null {
  if (!regime.isLateAllowed) return deadline;
  if (regime.lateUntilDays === null) return null;
  return new Date(deadline.getTime() + regime.lateUntilDays * 86_400_000);
}

interface UnitRow { id: number; code: string; path: string; level: string; parentCode: string | null }

/** The units that report under a regime, each with the unit it reports to. */
export async function reportingUnits(regime: RegimeView): Promise<UnitRow[]> {
  const tree = regime.reporters.tree ?? 'current';
  const root = await getOrgByCode(regime.reporters.within ?? 'VN', tree);
  const chosen = new Map<number, { id: number; code: string; path: string; level: string; parentId: number | null }>();
  const levels = regime.reporters.levels ?? [];
  if (levels.length) {
    for (const u of [root, ...await listSubtree(root)]) if (levels.includes(u.level)) chosen.set(u.id, u);
  }
  for (const code of regime.reporters.units ?? []) {
    const u = await getOrgByCode(code, tree);
    chosen.set(u.id, u);
  }
  // A unit reports to its nearest ancestor that also reports, else to the regime's recipient (or its parent).
  const ancestors = await getOrgsByIds([...new Set([...chosen.values()].flatMap((u) => u.path.split('/').filter(Boolean).map(Number)))]);
  return [...chosen.values()].map((u) => {
    const chain = u.path.split('/').filter(Boolean).map(Number).slice(0, -1).reverse();
    const up = chain.find((id) => chosen.has(id));
    const parentCode = up ? chosen.get(up)!.code : regime.recipientCode ?? (u.parentId ? ancestors.get(u.parentId)?.code ?? null : null);
    return { id: u.id, code: u.code, path: u.path, level: u.level, parentCode };
  }).sort((a, b) => a.path.length - b.path.length || a.code.localeCompare(b.code));
}

/** Finds or creates the cycle row of a regime and period. */
async function ensureCycle(regime: RegimeView, period: string): Promise<ReportingCycle> {
  const found = await ReportingCycle.findOne({ where: { regimeId: regime.id, period } });
  if (found) return found;
  try {
    return await ReportingCycle.create({ regimeId: regime.id, period, status: 'opening', expected: 0, deadline: new Date(periodInfo(period).deadline) });
  } catch (err) {
    // Another node opened the same cycle at the same moment; the unique key kept one row.
    if (!(err instanceof UniqueConstraintError)) throw err;
    return (await ReportingCycle.findOne({ where: { regimeId: regime.id, period } }))!;
  }
}

/** Inserts rows, skipping those whose unique key exists already; returns how many were new. */
async function insertIgnoring(rows: Array<Record<string, unknown>>, t?: Transaction): Promise<number> {
  if (!rows.length) return 0;
  const cols = Object.keys(rows[0]);
  const sql = `INSERT ${isMysql() ? 'IGNORE' : 'OR IGNORE'} INTO reporting_reports (${cols.join(', ')}) VALUES ${rows.map(() => `(${cols.map(() => '?').join(', ')})`).join(', ')}`;
  const params = rows.flatMap((r) => cols.map((c) => r[c]));
  const s = db();
  if (isMysql()) {
    const [, affected] = await s.query(sql, { replacements: params, type: QueryTypes.INSERT, transaction: t }) as unknown as [number, number];
    return Number(affected);
  }
  // SQLite reports the changed rows through changes(), read in the same transaction on the single writer.
  return inTransaction(async (tx) => {
    await s.query(sql, { replacements: params, type: QueryTypes.INSERT, transaction: tx });
    const [row] = await s.query('SELECT changes() AS n', { type: QueryTypes.SELECT, transaction: tx }) as Array<{ n: number }>;
    return Number(row.n);
  }, t);
}

function sqlNow(d: Date): string | Date {
  return isMysql() ? d.toISOString().slice(0, 23).replace('T', ' ') : d.toISOString().replace('T', ' ').replace('Z', ' +00:00');
}

/**
 * Opens a cycle: one report per reporting unit (batch inserts; the unique key of regime × period × unit
 * makes a re-run, a crash half-way or a second node harmless), then jobs that start one process
 * instance per report in slices. Returns how many reports this call created and how many existed.
 */
export async function openCycle(regimeCode: string, periodId: string): Promise<{ created: number; existing: number; cycleId: number; period: string }> {
  const regime = await getRegime(regimeCode);
  const period = assertPeriodOf(regime.frequency, periodId);
  const cycle = await ensureCycle(regime, period);
  const units = await reportingUnits(regime);
  const before = await Report.count({ where: { cycleId: cycle.id } });
  const now = sqlNow(new Date());
  let created = 0;
  for (let i = 0; i < units.length; i += INSERT_CHUNK) {
    const rows = units.slice(i, i + INSERT_CHUNK).map((u) => ({
      regime_id: regime.id, cycle_id: cycle.id, period, org_unit_id: u.id, org_code: u.code, org_path: u.path, org_level: u.level, parent_code: u.parentCode,
      status: 'open', round: 1, deadline: sqlNow(levelDeadline(regime, period, u.level)), is_late: false, is_partial: false, lock_version: 0, created_at: now, updated_at: now,
    }));
    created += await insertIgnoring(rows);
  }
  const wasOpening = cycle.status === 'opening' || !cycle.openedAt;
  await ReportingCycle.update({ expected: units.length, status: 'opening', openedAt: cycle.openedAt ?? new Date() }, { where: { id: cycle.id } });
  if (wasOpening || created) await scheduleInstanceStarts(cycle.id);
  if (wasOpening) await scheduleReminders(regime, cycle.id, period);
  return { created, existing: Math.max(0, units.length - created, before), cycleId: cycle.id, period };
}

/** One start job per slice of reports without an instance yet; several workers take them side by side. */
async function scheduleInstanceStarts(cycleId: number): Promise<void> {
  const ids = (await Report.findAll({ where: { cycleId, instanceId: null }, attributes: ['id'], order: [['id', 'ASC']], raw: true })).map((r) => r.id);
  for (let i = 0; i < ids.length; i += START_SLICE) await enqueueJob(JOB_START_INSTANCES, { cycleId, from: ids[i], to: ids[Math.min(i + START_SLICE, ids.length) - 1] });
}

/** The process variables and org of a report's instance. */
function startInputOf(report: Report, regime: RegimeView): StartInput {
  return {
    businessKey: `report:${report.id}:${report.round}`,
    variables: { orgCode: report.orgCode, reportId: report.id, regime: regime.code, period: report.period }, org: { code: report.orgCode, path: report.orgPath },
  };
}

/**
 * Starts the process instances of reports that have none, in one engine batch (one transaction), and
 * records them on the reports. An instance a crashed run started but did not record is found by its
 * business key and recorded instead of starting a second one.
 */
async function startInstancesOf(reports: Report[], regime: RegimeView): Promise<Map<number, string>> {
  const ids = new Map<number, string>();
  if (!reports.length) return ids;
  await ensureShippedProcesses();
  const inputs = reports.map((r) => startInputOf(r, regime));
  const found = new Map((await findInstances({ definitionKey: regime.processKey, businessKey: inputs.map((i) => i.businessKey!), status: 'active' })).map((i) => [i.businessKey, i.id]));
  const missing = inputs.filter((i) => !found.has(i.businessKey!));
  for (const started of await startProcesses(regime.processKey, missing)) found.set(started.businessKey, started.id);
  for (const [n, r] of reports.entries()) ids.set(r.id, found.get(inputs[n].businessKey!)!);
  await recordInstances(ids);
  for (const r of reports) r.instanceId = ids.get(r.id)!;
  return ids;
}

/** Writes the instance ids of reports in one statement. */
async function recordInstances(ids: Map<number, string>): Promise<void> {
  if (!ids.size) return;
  const entries = [...ids];
  const sql = `UPDATE reporting_reports SET instance_id = CASE id ${entries.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE id IN (${entries.map(() => '?').join(', ')})`;
  await db().query(sql, { replacements: [...entries.flat(), ...entries.map(([id]) => id)], type: QueryTypes.UPDATE });
}

/** Starts the process instance of one report unless it has one (also one a crashed run started but did not record). */
async function startInstanceOf(report: Report, regime: RegimeView): Promise<string> {
  return (await startInstancesOf([report], regime)).get(report.id)!;
}

/** A claim on starting a report's instance lasts this long; a claim older than that is a crashed starter's. */
const START_CLAIM_MS = 10 * 60_000;

function isStartClaim(instanceId: string | null): boolean {
  return !!instanceId && instanceId.startsWith('starting:');
}

function isStaleClaim(instanceId: string | null): boolean {
  return isStartClaim(instanceId) && Date.now() - Number(instanceId!.split(':')[1]) > START_CLAIM_MS;
}

function newClaimToken(): string {
  return `starting:${Date.now()}:${crypto.randomBytes(4).toString('hex')}`;
}

/**
 * Claims the starts of several reports at once under one token: those without an instance in one
 * guarded UPDATE, those with a crashed starter's stale claim one by one. Returns the reports this
 * call holds (another node's fresh claim or a recorded instance is left alone).
 */
async function claimStarts(reports: Report[]): Promise<Report[]> {
  const token = newClaimToken();
  const free = reports.filter((r) => r.instanceId === null).map((r) => r.id);
  if (free.length) await Report.update({ instanceId: token }, { where: { id: free, instanceId: null } });
  for (const r of reports.filter((x) => isStaleClaim(x.instanceId))) await Report.update({ instanceId: token }, { where: { id: r.id, instanceId: r.instanceId } });
  const held = new Set((await Report.findAll({ where: { id: reports.map((r) => r.id), instanceId: token }, attributes: ['id'], raw: true })).map((r) => r.id));
  const mine = reports.filter((r) => held.has(r.id));
  for (const r of mine) r.instanceId = token;
  return mine;
}

/**
 * Start slices one node runs at once. The job worker runs the jobs it claims side by side, and each
 * slice holds its batch's engines in memory until its one commit: 34 slices at once would hold a whole
 * national cycle's engines and spend the time in the garbage collector.
 */
const START_SLICES_AT_ONCE = 2;
let slicesRunning = 0;
const slicesWaiting: Array<() => void> = [];

async function inTurn<T>(fn: () => Promise<T>): Promise<T> {
  // A finishing slice hands its turn straight to the next waiting one.
  if (slicesRunning >= START_SLICES_AT_ONCE) await new Promise<void>((resolve) => slicesWaiting.push(resolve));
  else slicesRunning++;
  try {
    return await fn();
  } finally {
    const next = slicesWaiting.shift();
    if (next) next();
    else slicesRunning--;
  }
}

registerJobKind(JOB_START_INSTANCES, (job) => inTurn(async () => {
  const p = job.payload as { cycleId: number; from: number; to: number };
  const cycle = await ReportingCycle.findByPk(p.cycleId);
  if (!cycle) return;
  const regime = regimeView((await ReportingRegime.findByPk(cycle.regimeId))!);
  const rows = await Report.findAll({ where: { cycleId: p.cycleId, id: { [Op.between]: [p.from, p.to] }, [Op.or]: [{ instanceId: null }, { instanceId: { [Op.like]: 'starting:%' } }] }, order: [['id', 'ASC']] });
  const claimable = rows.filter((r) => !isStartClaim(r.instanceId) || isStaleClaim(r.instanceId));
  // The whole slice starts in one engine batch: one transaction instead of one per instance.
  await startInstancesOf(await claimStarts(claimable), regime);
  if (!(await Report.count({ where: { cycleId: p.cycleId, [Op.or]: [{ instanceId: null }, { instanceId: { [Op.like]: 'starting:%' } }] } }))) await ReportingCycle.update({ status: 'open' }, { where: { id: p.cycleId, status: 'opening' } });
}));

registerJobKind(JOB_OPEN_CYCLE, async (job) => {
  const p = job.payload as { regime: string; period: string };
  const r = await openCycle(p.regime, p.period);
  log.info('reporting cycle opened', { regime: p.regime, period: r.period, created: r.created, existing: r.existing });
});

/** Schedules the job that opens a period's cycle on time (the end of its data cut-off plus the regime's offset). */
export async function scheduleCycleOpening(regimeCode: string, periodId: string): Promise<Date> {
  const regime = await getRegime(regimeCode);
  const period = assertPeriodOf(regime.frequency, periodId);
  const at = new Date(new Date(periodInfo(period).cutoffEnd).getTime() + 1 + regime.openOffsetDays * 86_400_000);
  await enqueueJob(JOB_OPEN_CYCLE, { regime: regime.code, period }, at);
  return at;
}

/** Reminder jobs before the cycle's deadline (the regime's days) and one escalation just after it. */
async function scheduleReminders(regime: RegimeView, cycleId: number, period: string): Promise<void> {
  const deadline = levelDeadline(regime, period, 'commune');
  const now = Date.now();
  for (const d of regime.reminderDays) {
    const at = deadline.getTime() - d * 86_400_000;
    if (at > now) await enqueueJob(JOB_REMIND, { cycleId, kind: 'reminder', days: d }, new Date(at));
  }
  await enqueueJob(JOB_REMIND, { cycleId, kind: 'overdue' }, new Date(Math.max(now, deadline.getTime() + 1)));
}

/** Reports of a cycle still waiting for the unit: open, draft or returned. */
const PENDING: ReportStatus[] = ['open', 'draft', 'returned'];

/** Sends the reminders (to the unit's officers) or the overdue escalation (to its leaders and the parent's officers) of a cycle. */
export async function remindCycle(cycleId: number, kind: 'reminder' | 'overdue', days = 0): Promise<number> {
  const cycle = await ReportingCycle.findByPk(cycleId);
  if (!cycle) return 0;
  const regime = regimeView((await ReportingRegime.findByPk(cycle.regimeId))!);
  const rows = await Report.findAll({ where: { cycleId, status: kind === 'overdue' ? { [Op.in]: [...PENDING, 'review', 'approved'] } : { [Op.in]: PENDING } }, attributes: ['id', 'orgCode', 'parentCode', 'period', 'deadline', 'orgUnitId'] });
  let sent = 0;
  for (const r of rows) {
    if (kind === 'overdue' && r.deadline.getTime() > Date.now()) continue;
    const data = { title: `${regime.name} — ${r.period}`, unitName: r.orgCode, days, deadline: r.deadline, link: reportLink(regime.code, r.period, r.orgCode) };
    const groups = kind === 'reminder' ? [`officer@${r.orgCode}`] : [`leader@${r.orgCode}`, ...(r.parentCode ? [`officer@${r.parentCode}`] : [])];
    const audiences = await Promise.all(groups.map(audience));
    await inTransaction(async (tx) => {
      for (const a of audiences) sent += await tell(a, kind === 'reminder' ? 'deadline-reminder' : 'overdue', data, tx, `report:${r.id}`);
    });
  }
  return sent;
}

registerJobKind(JOB_REMIND, async (job) => {
  const p = job.payload as { cycleId: number; kind: 'reminder' | 'overdue'; days?: number };
  await remindCycle(p.cycleId, p.kind, p.days ?? 0);
});

/** Counts of a cycle (optionally only the units in some org subtrees). */
export interface CycleStatus {
  expected: number;
  submitted: number;
  onTime: number;
  late: number;
  missing: number;
  approved: number;
  returned: number;
}

/** How far a cycle is: expected, submitted (on time / late), missing, approved, returned. */
export async function cycleStatus(regimeCode: string, periodId: string, scope: string[] | null = null): Promise<CycleStatus & { cycleId: number; period: string; status: string }> {
  const regime = await getRegime(regimeCode);
  const period = assertPeriodOf(regime.frequency, periodId);
  const cycle = await ReportingCycle.findOne({ where: { regimeId: regime.id, period } });
  if (!cycle) throw NotFound('reporting.cycle.notFound', { regime: regimeCode, period });
  const where: Record<string | symbol, unknown> = { cycleId: cycle.id };
  if (scope) where[Op.or] = scope.length ? scope.map((p) => ({ orgPath: { [Op.like]: `${p}%` } })) : [{ id: null }];
  const rows = await Report.findAll({ where, attributes: ['status', 'isLate', [db().fn('COUNT', db().col('id')), 'n']], group: ['status', 'is_late'], raw: true }) as unknown as Array<{ status: string; isLate: boolean | number; n: number }>;
  const s: CycleStatus = { expected: 0, submitted: 0, onTime: 0, late: 0, missing: 0, approved: 0, returned: 0 };
  for (const r of rows) {
    const n = Number(r.n);
    s.expected += n;
    if (r.status === 'submitted') {
      s.submitted += n;
      if (r.isLate) s.late += n;
      else s.onTime += n;
    }
    if (r.status === 'approved' || r.status === 'submitted') s.approved += n;
    if (r.status === 'returned') s.returned += n;
  }
  s.missing = s.expected - s.submitted;
  return { ...s, cycleId: cycle.id, period, status: cycle.status };
}

// ---------------------------------------------------------------------------------------------
// Reports

/** The link to a report's page. */
export function reportLink(regime: string, period: string, unit: string): string {
  return `${getConfig().baseUrl}/reporting/${encodeURIComponent(regime)}/${encodeURIComponent(period)}/${encodeURIComponent(unit)}`;
}

/** A report with what its page and the API show. */
export interface ReportView {
  id: number;
  regime: string;
  regimeName: string;
  period: string;
  unit: string;
  orgPath: string;
  orgLevel: string;
  parentCode: string | null;
  status: ReportStatus;
  round: number;
  values: FormValues;
  explanations: Record<string, string>;
  issues: Issue[];
  deadline: Date;
  isLate: boolean;
  isPartial: boolean;
  isLocked: boolean;
  isEntryOpen: boolean;
  completeness: Completeness | null;
  signatureId: string | null;
  submittedAt: Date | null;
  approvedAt: Date | null;
  instanceId: string | null;
}

/** What a parent's roll-up covers. */
export interface Completeness {
  expected: number;
  submitted: number;
  onTime: number;
  late: number;
  missing: number;
  missingUnits: string[];
}

/** Approved and submitted reports are locked: only a leader's reopen changes them. */
function isLocked(status: ReportStatus): boolean {
  return status === 'approved' || status === 'submitted' || status === 'review';
}

function present(r: Report, regime: RegimeView): ReportView {
  const closes = entryClosesAt(regime, r.deadline);
  return {
    id: r.id, regime: regime.code, regimeName: regime.name, period: r.period, unit: r.orgCode, orgPath: r.orgPath, orgLevel: r.orgLevel, parentCode: r.parentCode, status: r.status, round: r.round,
    values: r.valuesJson ? JSON.parse(r.valuesJson) : {}, explanations: r.explanations ? JSON.parse(r.explanations) : {}, issues: r.issues ? JSON.parse(r.issues) : [],
    deadline: r.deadline, isLate: r.isLate, isPartial: r.isPartial, isLocked: isLocked(r.status), isEntryOpen: !closes || Date.now() <= closes.getTime(),
    completeness: r.completeness ? JSON.parse(r.completeness) : null, signatureId: r.signatureId, submittedAt: r.submittedAt, approvedAt: r.approvedAt, instanceId: isStartClaim(r.instanceId) ? null : r.instanceId,
  };
}

/** Loads a report by regime, period and unit code, checking that the viewer's roles cover the unit. */
async function loadReport(viewer: Viewer | null, regimeCode: string, periodId: string, unitCode: string, roles: readonly Role[] = READ_ROLES, t?: Transaction, known?: RegimeView): Promise<{ report: Report; regime: RegimeView }> {
  // Inside a transaction the regime comes from the caller (read before it opened).
  const regime = known ?? await getRegime(regimeCode);
  const period = assertPeriodOf(regime.frequency, periodId);
  const report = await Report.findOne({ where: { regimeId: regime.id, period, orgCode: unitCode }, transaction: t, ...(t ? { lock: t.LOCK.UPDATE } : {}) });
  // Outside the viewer's scope a report is as unknown as a missing one.
  if (!report || (viewer && !canAccessOrg(viewer, report.orgPath, READ_ROLES))) throw NotFound('reporting.report.notFound', { regime: regimeCode, period, unit: unitCode });
  if (viewer && !canAccessOrg(viewer, report.orgPath, roles)) throw Forbidden('reporting.report.roleNeeded');
  return { report, regime };
}

/** A report as its unit and the units above it see it; 404 outside the viewer's scope. */
export async function getReport(viewer: Viewer | null, regimeCode: string, periodId: string, unitCode: string): Promise<ReportView> {
  const { report, regime } = await loadReport(viewer, regimeCode, periodId, unitCode);
  return present(report, regime);
}

/** The form version of a regime. */
export async function regimeForm(regime: RegimeView): Promise<FormVersionView> {
  return getPublished(regime.formKey, regime.formVersion);
}

/** The report's history: every save, review, return (with its comment), approval, signature and reopen. */
export async function reportHistory(viewer: Viewer | null, regimeCode: string, periodId: string, unitCode: string): Promise<ReportEvent[]> {
  const { report } = await loadReport(viewer, regimeCode, periodId, unitCode);
  return ReportEvent.findAll({ where: { reportId: report.id }, order: [['id', 'ASC']] });
}

/** The report's current signed PDF for a viewer who may read the report (404 outside scope, or when none is current). */
export async function getSignedPdf(viewer: Viewer, regimeCode: string, periodId: string, unitCode: string): Promise<{ pdf: Buffer; filename: string; pdfSignatureId: string }> {
  const { report, regime } = await loadReport(viewer, regimeCode, periodId, unitCode);
  const row = report.status === 'submitted' ? await currentSignedPdf(report.id) : null;
  if (!row) throw NotFound('reporting.signedPdf.none');
  return { pdf: Buffer.from(row.pdf), filename: `${regime.code}-${report.period}-${report.orgCode}-signed.pdf`, pdfSignatureId: row.pdfSignatureId };
}

/** Every signed PDF of a report (current and withdrawn), for its history. */
export async function reportSignedPdfs(viewer: Viewer | null, regimeCode: string, periodId: string, unitCode: string): Promise<SignedPdfEntry[]> {
  const { report } = await loadReport(viewer, regimeCode, periodId, unitCode);
  return signedPdfsOf(report.id);
}

/** The previous period's values of the same unit and regime, for rules that read `prev`. */
async function previousValues(report: Report): Promise<FormValues | null> {
  const prev = await Report.findOne({ where: { regimeId: report.regimeId, orgUnitId: report.orgUnitId, period: previousPeriod(report.period) }, attributes: ['valuesJson'] });
  return prev?.valuesJson ? JSON.parse(prev.valuesJson) : null;
}

/** Whether every indicator (numeric input cell) and every required field is empty. */
export function isEmptyReport(plan: Plan, values: FormValues): boolean {
  for (const c of plan.inputs) {
    const v = getValue(values, c.key);
    const filled = v !== null && v !== undefined && v !== '';
    if (filled && (c.kind === 'cell' || c.field?.required)) return false;
  }
  return true;
}

async function event(report: Report, action: string, viewer: Viewer | null, comment: string | null, t: Transaction): Promise<void> {
  await ReportEvent.create({ reportId: report.id, round: report.round, action, actorUserId: viewer?.userId ?? null, actorName: viewer?.fullName ?? null, comment, at: new Date() }, { transaction: t });
}

/** The people a candidate group (`role@unit`) covers, with the channels each chose: read before a transaction opens. */
interface Audience { unit: string | null; people: Array<{ person: Recipient; channels: Channel[] }> }

async function audience(group: string): Promise<Audience> {
  const people = await taskRecipients({ assignee: null, candidateUsers: null, candidateGroups: group, orgCode: group.split('@')[1] ?? null });
  // SQLite has one writer: nothing outside the transaction may be read while it is open, so all is read first.
  return { unit: group.split('@')[1] ?? null, people: await Promise.all(people.map(async (person) => ({ person, channels: await getChannels(person.userId) }))) };
}

/** Queues one message per person and channel of an audience in the caller's transaction. */
async function tell(a: Audience, eventName: string, data: Record<string, unknown>, t: Transaction, reference: string): Promise<number> {
  for (const { person, channels } of a.people) {
    for (const channel of channels) {
      const to = channel === 'email' ? person.email : channel === 'sms' ? person.phone : String(person.userId);
      if (!to) continue;
      await queueMessage({ channel, event: eventName, locale: person.locale, to, recipientUserId: person.userId, recipientOrgCode: person.orgCode ?? null, senderOrgCode: a.unit, reference, data: { recipientName: person.fullName, ...data } }, { transaction: t });
    }
  }
  return a.people.length;
}

/** A report's instance id: the one recorded, the one a start job is starting right now, or a new one. */
async function instanceOf(report: Report, regime: RegimeView): Promise<string> {
  for (let i = 0; i < 100 && isStartClaim(report.instanceId) && !isStaleClaim(report.instanceId); i++) {
    await new Promise((r) => setTimeout(r, 100));
    report.instanceId = (await Report.findByPk(report.id, { attributes: ['instanceId'] }))?.instanceId ?? null;
  }
  if (report.instanceId && !isStartClaim(report.instanceId)) return report.instanceId;
  return startInstanceOf(report, regime);
}

/** The engine task a step completes, found before the step's transaction opens. */
interface FlowStep { instanceId: string; elementId: string; taskId: number | null }

/** Finds the open task of a report's instance at this element, starting the instance first when it has none. */
async function flowStep(report: Report, regime: RegimeView, elementId: string): Promise<FlowStep> {
  const instanceId = await instanceOf(report, regime);
  const task = (await openTasksOf(instanceId)).find((tk) => tk.elementId === elementId);
  return { instanceId, elementId, taskId: task?.id ?? null };
}

/**
 * Completes a step's engine task inside the step's own transaction (a savepoint of it): the report's
 * new state and the engine's move commit together, or neither does (a task completed meanwhile is a
 * 409 that undoes the step).
 */
async function completeStep(step: FlowStep, report: Report, variables: Record<string, unknown>, actor: string, t: Transaction): Promise<void> {
  if (step.taskId === null) {
    log.warn('report flow out of step', { report: report.id, instanceId: step.instanceId, elementId: step.elementId });
    return;
  }
  await completeTaskAsSystem(step.taskId, variables, actor, { transaction: t });
}

/** Options of a save. */
export interface SaveReportOptions {
  explanations?: Record<string, string>;
  /** Send to the unit's leader for review after saving (all checks must pass). */
  submit?: boolean;
  locale?: Locale;
  /** How the values arrived (web, excel, api, dhis2), for the history. */
  via?: string;
}

/**
 * Saves a unit's values (a draft), and with `submit` sends them to the unit's leader: errors block it,
 * warnings need an explanation, an empty report is refused. Entry closes after the deadline unless the
 * regime allows late reports; approved reports are locked.
 */
export async function saveReport(viewer: Viewer | null, regimeCode: string, periodId: string, unitCode: string, input: FormValues, opts: SaveReportOptions = {}): Promise<ReportView> {
  const locale = opts.locale ?? 'vi';
  const { report: pre, regime } = await loadReport(viewer, regimeCode, periodId, unitCode, FILL_ROLES);
  const form = await regimeForm(regime);
  const plan = planOf(form);
  assertKnownKeys(plan, input);
  const prepared = prepareInput(plan, input);
  const prev = await previousValues(pre);
  const evaluation = evaluateForm(plan, prepared, prev);
  const xc = await crossChecksOf(pre, regime, plan, evaluation.values, prev);
  evaluation.issues.push(...xc);
  const ruleIds = new Set([...(form.definition.rules ?? []).map((r) => r.id), ...xc.map((i) => i.rule!)]);
  const explanations: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(opts.explanations ?? {})) if (ruleIds.has(k) && typeof v === 'string' && v.trim()) explanations[k] = v.trim().normalize('NFC');
  if (opts.submit) {
    if (isEmptyReport(plan, evaluation.values)) throw Invalid('reporting.report.empty');
    const errors = evaluation.issues.filter((i) => i.severity === 'error');
    if (errors.length) throw Invalid('reporting.report.hasErrors', { count: errors.length }, describeIssues(locale, errors));
    const unexplained = evaluation.issues.filter((i) => i.severity === 'warning' && i.rule && !explanations[i.rule]);
    if (unexplained.length) throw Invalid('reporting.report.needExplanation', { count: unexplained.length }, describeIssues(locale, unexplained));
  }
  const step = opts.submit ? await flowStep(pre, regime, 'Task_fillReport') : null;
  const saved = await inTransaction(async (tx) => {
    const { report } = await loadReport(viewer, regimeCode, periodId, unitCode, FILL_ROLES, tx, regime);
    if (!PENDING.includes(report.status)) throw Conflict('reporting.report.locked', { status: report.status });
    const closes = entryClosesAt(regime, report.deadline);
    if (closes && Date.now() > closes.getTime()) throw Conflict('reporting.report.entryClosed');
    const isRollupParent = !!report.completeness;
    const values = isRollupParent ? mergeOwn(JSON.parse(report.valuesJson ?? '{}'), evaluation.values, plan) : evaluation.values;
    await report.update({
      valuesJson: JSON.stringify(values), ownValues: isRollupParent ? JSON.stringify(evaluation.values) : null, explanations: JSON.stringify(explanations), issues: JSON.stringify(evaluation.issues),
      status: opts.submit ? 'review' : 'draft', reviewedAt: opts.submit ? new Date() : report.reviewedAt, lockVersion: report.lockVersion + 1,
    }, { transaction: tx });
    await event(report, opts.submit ? 'sendForReview' : `save${opts.via ? `:${opts.via}` : ''}`, viewer, null, tx);
    if (step) await completeStep(step, report, {}, viewer?.username ?? 'system', tx);
    await appendAudit(actorOf(viewer), { action: opts.submit ? 'reporting.report.sendForReview' : 'reporting.report.save', targetType: 'report', targetId: report.id, detail: { regime: regime.code, period: report.period, unit: report.orgCode, via: opts.via ?? 'web' } }, tx);
    return report;
  });
  return present(saved, regime);
}

/** The cross-check warnings of values about to be saved: against the previous period, the siblings, for a parent its children's sum, and the unit's dossiers. */
async function crossChecksOf(report: Report, regime: RegimeView, plan: Plan, values: FormValues, prev: FormValues | null): Promise<Issue[]> {
  const siblings = report.parentCode
    ? (await Report.findAll({ where: { cycleId: report.cycleId, parentCode: report.parentCode, id: { [Op.ne]: report.id }, valuesJson: { [Op.ne]: null } }, attributes: ['valuesJson'], raw: true })).map((r) => JSON.parse(r.valuesJson!) as FormValues)
    : [];
  let rolled: FormValues | null = null;
  if (report.completeness) {
    const kids = await Report.findAll({ where: { cycleId: report.cycleId, parentCode: report.orgCode, status: 'submitted' }, attributes: ['valuesJson'], raw: true });
    rolled = kids.length ? rollupValues(plan, kids.map((k) => JSON.parse(k.valuesJson ?? '{}'))) : null;
  }
  const found = crossCheck(plan, values, { settings: regime.checks, prev, rolled, own: rolled ? values : null, siblings });
  // Forms on receiving and resolving procedures are also checked against the unit's own dossiers.
  return [...found, ...await crosscheckDossiers(regime.formKey, plan, report.orgCode, report.period, values)];
}

/** A parent's values: the roll-up, with the cells its own officer typed taking precedence. */
function mergeOwn(rolled: FormValues, own: FormValues, plan: Plan): FormValues {
  const out = JSON.parse(JSON.stringify(rolled)) as FormValues;
  for (const c of plan.inputs) {
    const v = getValue(own, c.key);
    if (v !== null && v !== undefined && v !== '') {
      const [a, b] = c.key.split('.');
      if (b === undefined) out[a] = v;
      else out[a] = { ...((out[a] as Record<string, unknown>) ?? {}), [b]: v };
    }
  }
  return out;
}

/** Reads a filled Excel template of the regime's form and saves its values as a draft. */
export async function uploadReport(viewer: Viewer | null, regimeCode: string, periodId: string, unitCode: string, file: Buffer, locale: Locale = 'vi'): Promise<ReportView> {
  const { regime } = await loadReport(viewer, regimeCode, periodId, unitCode, FILL_ROLES);
  const form = await regimeForm(regime);
  await assertWorkbookWithinLimits(file);
  const values = await readXlsxOffThread(form.definition, form.version, file, locale);
  return saveReport(viewer, regimeCode, periodId, unitCode, values, { locale, via: 'excel' });
}

/** The leader returns a report under review to the officer; the comment is required and kept in the history. */
export async function returnReport(viewer: Viewer, regimeCode: string, periodId: string, unitCode: string, comment: string): Promise<ReportView> {
  const text = (comment ?? '').trim().normalize('NFC');
  if (!text) throw BadRequest('reporting.report.commentRequired');
  const { report: pre, regime } = await loadReport(viewer, regimeCode, periodId, unitCode, LEAD_ROLES);
  const officers = await audience(`officer@${pre.orgCode}`);
  const step = await flowStep(pre, regime, 'Task_reviewReport');
  const report = await inTransaction(async (tx) => {
    const { report: r } = await loadReport(viewer, regimeCode, periodId, unitCode, LEAD_ROLES, tx, regime);
    if (r.status !== 'review') throw Conflict('reporting.report.notInReview', { status: r.status });
    await event(r, 'return', viewer, text, tx);
    await r.update({ status: 'returned', round: r.round + 1, lockVersion: r.lockVersion + 1 }, { transaction: tx });
    await completeStep(step, r, { decision: 'return', comment: text }, viewer.username, tx);
    await appendAudit(actorOf(viewer), { action: 'reporting.report.return', targetType: 'report', targetId: r.id, detail: { regime: regime.code, period: r.period, unit: r.orgCode, comment: text } }, tx);
    await tell(officers, 'returned-for-revision', { title: `${regime.name} — ${r.period}`, comment: text, link: reportLink(regime.code, r.period, r.orgCode) }, tx, `report:${r.id}`);
    return r;
  });
  return present(report, regime);
}

/** The leader approves a report under review: its data is locked from now on. */
export async function approveReport(viewer: Viewer, regimeCode: string, periodId: string, unitCode: string): Promise<ReportView> {
  const { report: pre, regime } = await loadReport(viewer, regimeCode, periodId, unitCode, LEAD_ROLES);
  const officers = await audience(`officer@${pre.orgCode}`);
  const step = await flowStep(pre, regime, 'Task_reviewReport');
  const report = await inTransaction(async (tx) => {
    const { report: r } = await loadReport(viewer, regimeCode, periodId, unitCode, LEAD_ROLES, tx, regime);
    if (r.status !== 'review') throw Conflict('reporting.report.notInReview', { status: r.status });
    await r.update({ status: 'approved', approvedAt: new Date(), approvedBy: viewer.userId, lockVersion: r.lockVersion + 1 }, { transaction: tx });
    await event(r, 'approve', viewer, null, tx);
    await completeStep(step, r, { decision: 'approve' }, viewer.username, tx);
    await appendAudit(actorOf(viewer), { action: 'reporting.report.approve', targetType: 'report', targetId: r.id, detail: { regime: regime.code, period: r.period, unit: r.orgCode } }, tx);
    await tell(officers, 'approved', { title: `${regime.name} — ${r.period}`, approverName: viewer.fullName, at: new Date(), link: reportLink(regime.code, r.period, r.orgCode) }, tx, `report:${r.id}`);
    return r;
  });
  return present(report, regime);
}

/**
 * The leader signs an approved report and it is submitted to the unit it reports to, late when after
 * the deadline; the parent's roll-up is brought up to date and its officers are told. One PIN entry
 * signs both the report's data (a detached CMS over its canonical JSON) and its PDF (the form's A4
 * document with the signature block and a QR code to /verify); a wrong PIN signs nothing. The report's
 * new state, both signature records, the stored PDF and the engine's move commit in one transaction.
 */
export async function signReport(viewer: Viewer, regimeCode: string, periodId: string, unitCode: string, pin?: string): Promise<ReportView> {
  const { report: pre, regime } = await loadReport(viewer, regimeCode, periodId, unitCode, LEAD_ROLES);
  if (pre.status !== 'approved') throw Conflict('reporting.report.notApproved', { status: pre.status });
  const form = await regimeForm(regime);
  const unitName = (await getOrgByCode(pre.orgCode).catch(() => null))?.name ?? pre.orgCode;
  const values: FormValues = pre.valuesJson ? JSON.parse(pre.valuesJson) : {};
  const signed = await signDataAndPdf({ userId: viewer.userId, pin, ip: viewer.ip }, {
    regime: regime.code, form: `${regime.formKey}@${regime.formVersion}`, period: pre.period, unit: pre.orgCode, round: pre.round, values,
  }, (stamp) => renderReportPdf(form, values, { unitName, period: pre.period, stamp }), { label: `${regime.name} — ${pre.period} — ${pre.orgCode}`, targetType: 'report', targetId: pre.id });
  const parentOfficers = pre.parentCode ? await audience(`officer@${pre.parentCode}`) : null;
  const up = pre.parentCode ? await rollupContext(regime, pre.parentCode) : null;
  const step = await flowStep(pre, regime, 'Task_signReport');
  const report = await inTransaction(async (tx) => {
    const { report: r } = await loadReport(viewer, regimeCode, periodId, unitCode, LEAD_ROLES, tx, regime);
    if (r.status !== 'approved' || r.lockVersion !== pre.lockVersion) throw Conflict('reporting.report.changed');
    const now = new Date();
    const signatures = await signed.record(tx);
    await r.update({ status: 'submitted', signatureId: signatures.data.id, submittedAt: now, isLate: now.getTime() > r.deadline.getTime(), lockVersion: r.lockVersion + 1 }, { transaction: tx });
    await storeSignedPdf(r, { pdf: signed.pdf, pdfSignatureId: signatures.pdf.id, dataSignatureId: signatures.data.id, signedAt: signed.signedAt, signedBy: viewer.userId }, tx);
    await event(r, 'sign', viewer, null, tx);
    await completeStep(step, r, { signatureId: signatures.data.id, pdfSignatureId: signatures.pdf.id }, viewer.username, tx);
    await appendAudit(actorOf(viewer), { action: 'reporting.report.sign', targetType: 'report', targetId: r.id, detail: { regime: regime.code, period: r.period, unit: r.orgCode, signature: signatures.data.id, pdfSignature: signatures.pdf.id, isLate: r.isLate } }, tx);
    if (r.parentCode) {
      await tell(parentOfficers!, 'child-submitted', { title: `${regime.name} — ${r.period}`, unitName: r.orgCode, at: now, link: reportLink(regime.code, r.period, r.orgCode) }, tx, `report:${r.id}`);
      await rollupParent(r.cycleId, r.parentCode, tx, up!);
    }
    return r;
  });
  return present(report, regime);
}

/**
 * A leader reopens an approved or submitted report with a reason (audited): the approval and the
 * signature are withdrawn, a new round starts with the officer, the parent is re-aggregated and told.
 */
export async function reopenReport(viewer: Viewer, regimeCode: string, periodId: string, unitCode: string, reason: string): Promise<ReportView> {
  const text = (reason ?? '').trim().normalize('NFC');
  if (!text) throw BadRequest('reporting.report.reasonRequired');
  const { report: pre, regime } = await loadReport(viewer, regimeCode, periodId, unitCode, LEAD_ROLES);
  const oldInstance = pre.instanceId;
  const parentOfficers = pre.parentCode ? await audience(`officer@${pre.parentCode}`) : null;
  const up = pre.parentCode ? await rollupContext(regime, pre.parentCode) : null;
  const report = await inTransaction(async (tx) => {
    const { report: r } = await loadReport(viewer, regimeCode, periodId, unitCode, LEAD_ROLES, tx, regime);
    if (r.status !== 'approved' && r.status !== 'submitted') throw Conflict('reporting.report.notApproved', { status: r.status });
    await event(r, 'reopen', viewer, text, tx);
    const wasSubmitted = r.status === 'submitted';
    await r.update({ status: 'draft', round: r.round + 1, signatureId: null, approvedAt: null, approvedBy: null, submittedAt: null, isLate: false, instanceId: null, lockVersion: r.lockVersion + 1 }, { transaction: tx });
    const withdrawn = await withdrawSignedPdfs(r.id, viewer.userId, text, tx);
    await appendAudit(actorOf(viewer), { action: 'reporting.report.reopen', targetType: 'report', targetId: r.id, detail: { regime: regime.code, period: r.period, unit: r.orgCode, reason: text, wasSubmitted, withdrawnPdfs: withdrawn } }, tx);
    if (r.parentCode) {
      await tell(parentOfficers!, 'returned-for-revision', { title: `${regime.name} — ${r.period} — ${r.orgCode}`, comment: text, link: reportLink(regime.code, r.period, r.orgCode) }, tx, `report:${r.id}`);
      if (wasSubmitted) await rollupParent(r.cycleId, r.parentCode, tx, up!);
    }
    return r;
  });
  if (oldInstance && !isStartClaim(oldInstance)) await cancelInstance(oldInstance, viewer.username, 'reopened').catch(() => undefined);
  await startInstanceOf(report, regime);
  return present((await Report.findByPk(report.id))!, regime);
}

/** What a roll-up reads before its transaction: the regime, its form's plan and the parent's leaders. */
export interface RollupContext { regime: RegimeView; plan: Plan; leaders: Audience }

async function rollupContext(regime: RegimeView, parentCode: string): Promise<RollupContext> {
  return { regime, plan: planOf(await regimeForm(regime)), leaders: await audience(`leader@${parentCode}`) };
}

/**
 * Re-aggregates a parent's report from its children's submitted reports (each indicator by its
 * roll-up rule) and records completeness; a locked parent keeps its values and its leaders are told.
 */
export async function rollupParent(cycleId: number, parentCode: string, t?: Transaction, known?: RollupContext): Promise<Completeness | null> {
  let ctx = known;
  if (!ctx) {
    const cycle = await ReportingCycle.findByPk(cycleId);
    if (!cycle) return null;
    ctx = await rollupContext(regimeView((await ReportingRegime.findByPk(cycle.regimeId))!), parentCode);
  }
  const { regime, plan, leaders } = ctx;
  return inTransaction(async (tx) => {
    const parent = await Report.findOne({ where: { cycleId, orgCode: parentCode }, transaction: tx, lock: tx.LOCK.UPDATE });
    if (!parent) return null;
    const children = await Report.findAll({ where: { cycleId, parentCode }, attributes: ['orgCode', 'status', 'isLate', 'valuesJson'], transaction: tx });
    const done = children.filter((c) => c.status === 'submitted');
    const completeness: Completeness = {
      expected: children.length, submitted: done.length, onTime: done.filter((c) => !c.isLate).length, late: done.filter((c) => c.isLate).length,
      missing: children.length - done.length, missingUnits: children.filter((c) => c.status !== 'submitted').map((c) => c.orgCode).sort(),
    };
    if (isLocked(parent.status)) {
      await parent.update({ completeness: JSON.stringify(completeness) }, { transaction: tx });
      await tell(leaders, 'child-submitted', { title: `${regime.name} — ${parent.period}`, unitName: parentCode, link: reportLink(regime.code, parent.period, parent.orgCode) }, tx, `report:${parent.id}`);
      return completeness;
    }
    const rolled = rollupValues(plan, done.map((c) => JSON.parse(c.valuesJson ?? '{}')));
    const own = parent.ownValues ? JSON.parse(parent.ownValues) : null;
    await parent.update({
      valuesJson: JSON.stringify(own ? mergeOwn(rolled, own, plan) : rolled), completeness: JSON.stringify(completeness), isPartial: completeness.missing > 0,
      status: parent.status === 'open' ? 'draft' : parent.status,
    }, { transaction: tx });
    return completeness;
  }, t);
}

/**
 * Roll-ups of every parent of a cycle at once (at the deadline, after an import, the bench): one read
 * of the cycle, the parents aggregated deepest first in memory, one transaction of updates. Locked
 * parents keep their values and get only their completeness.
 */
export async function rollupCycle(cycleId: number): Promise<number> {
  const cycle = await ReportingCycle.findByPk(cycleId);
  if (!cycle) return 0;
  const regime = regimeView((await ReportingRegime.findByPk(cycle.regimeId))!);
  const plan = planOf(await regimeForm(regime));
  // One raw read of the columns the roll-up needs; values only of submitted reports (a child counts only then).
  const rows = (await db().query(
    "SELECT id, org_code, org_path, parent_code, status, is_late, CASE WHEN status = 'submitted' THEN data_values END AS data_values, own_values FROM reporting_reports WHERE cycle_id = ?",
    { replacements: [cycleId], type: QueryTypes.SELECT })) as Array<{ id: number; org_code: string; org_path: string; parent_code: string | null; status: ReportStatus; is_late: number | boolean; data_values: string | null; own_values: string | null }>;
  const byCode = new Map(rows.map((r) => [r.org_code, r]));
  const children = new Map<string, typeof rows>();
  for (const r of rows) {
    if (!r.parent_code || !byCode.has(r.parent_code)) continue;
    const list = children.get(r.parent_code);
    if (list) list.push(r);
    else children.set(r.parent_code, [r]);
  }
  const parents = [...children.keys()].map((c) => byCode.get(c)!).sort((a, b) => b.org_path.length - a.org_path.length);
  const updates: Array<{ id: number; completeness: string; values?: { valuesJson: string; isPartial: boolean; status: ReportStatus } }> = [];
  for (const parent of parents) {
    const kids = children.get(parent.org_code)!;
    const done = kids.filter((c) => c.status === 'submitted');
    const completeness: Completeness = {
      expected: kids.length, submitted: done.length, onTime: done.filter((c) => !c.is_late).length, late: done.filter((c) => !!c.is_late).length,
      missing: kids.length - done.length, missingUnits: kids.filter((c) => c.status !== 'submitted').map((c) => c.org_code).sort(),
    };
    if (isLocked(parent.status)) {
      updates.push({ id: parent.id, completeness: JSON.stringify(completeness) });
      continue;
    }
    const rolled = rollupValues(plan, done.map((c) => JSON.parse(c.data_values ?? '{}')));
    const values = JSON.stringify(parent.own_values ? mergeOwn(rolled, JSON.parse(parent.own_values), plan) : rolled);
    // A grandparent reads this parent's new values when it is its turn (only a submitted parent counts there).
    if (parent.status === 'submitted') parent.data_values = values;
    updates.push({ id: parent.id, completeness: JSON.stringify(completeness), values: { valuesJson: values, isPartial: completeness.missing > 0, status: parent.status === 'open' ? 'draft' : parent.status } });
  }
  await writeRollups(updates);
  return parents.length;
}

/** Parents per UPDATE statement of a cycle's roll-up (bound values stay under SQLite's smallest limit). */
const ROLLUP_UPDATE_CHUNK = 100;

/** Writes the roll-ups of a cycle in one transaction, a few statements of CASE expressions instead of one UPDATE per parent. */
async function writeRollups(updates: Array<{ id: number; completeness: string; values?: { valuesJson: string; isPartial: boolean; status: ReportStatus } }>): Promise<void> {
  if (!updates.length) return;
  const now = sqlNow(new Date());
  await inTransaction(async (tx) => {
    for (let i = 0; i < updates.length; i += ROLLUP_UPDATE_CHUNK) {
      const chunk = updates.slice(i, i + ROLLUP_UPDATE_CHUNK);
      const params: unknown[] = [];
      const caseOf = (column: string, pick: (u: (typeof chunk)[number]) => unknown | undefined) => {
        const set = chunk.filter((u) => pick(u) !== undefined);
        if (!set.length) return null;
        for (const u of set) params.push(u.id, pick(u));
        return `${column} = CASE id ${set.map(() => 'WHEN ? THEN ?').join(' ')} ELSE ${column} END`;
      };
      const sets = [
        caseOf('completeness', (u) => u.completeness),
        caseOf('data_values', (u) => u.values?.valuesJson),
        caseOf('is_partial', (u) => (u.values ? u.values.isPartial : undefined)),
        caseOf('status', (u) => u.values?.status),
      ].filter((x): x is string => x !== null);
      params.push(now, ...chunk.map((u) => u.id));
      await db().query(`UPDATE reporting_reports SET ${sets.join(', ')}, updated_at = ? WHERE id IN (${chunk.map(() => '?').join(', ')})`, { replacements: params, type: QueryTypes.UPDATE, transaction: tx });
    }
  });
}

/** The reports of a cycle for the overview: units × status, limited to the viewer's scope, with filters. */
export async function listCycleReports(viewer: Viewer, regimeCode: string, periodId: string, q: { status?: string; parent?: string; limit?: number; offset?: number } = {}): Promise<{ rows: ReportView[]; total: number }> {
  const regime = await getRegime(regimeCode);
  const period = assertPeriodOf(regime.frequency, periodId);
  const scope = scopePaths(viewer, READ_ROLES);
  const where: Record<string | symbol, unknown> = { regimeId: regime.id, period };
  if (scope) where[Op.or] = scope.length ? scope.map((p) => ({ orgPath: { [Op.like]: `${p}%` } })) : [{ id: null }];
  if (q.status === 'late') where.isLate = true;
  else if (q.status) where.status = q.status;
  if (q.parent) where.parentCode = q.parent;
  const { rows, count } = await Report.findAndCountAll({ where, attributes: { exclude: ['valuesJson', 'ownValues', 'issues', 'explanations'] }, order: [['orgPath', 'ASC']], limit: Math.min(q.limit ?? 200, 5000), offset: q.offset ?? 0 });
  return { rows: rows.map((r) => present(r, regime)), total: count };
}

/** On time / late / missing per province (a province's own report and its communes') for the national dashboard. */
export async function dashboard(viewer: Viewer, regimeCode: string, periodId: string): Promise<Array<{ code: string; expected: number; submitted: number; onTime: number; late: number; missing: number; ownStatus: string | null }>> {
  const regime = await getRegime(regimeCode);
  const period = assertPeriodOf(regime.frequency, periodId);
  const scope = scopePaths(viewer, READ_ROLES);
  const cycle = await ReportingCycle.findOne({ where: { regimeId: regime.id, period } });
  if (!cycle) throw NotFound('reporting.cycle.notFound', { regime: regimeCode, period });
  const rows = await db().query(
    `SELECT parent_code AS code, status, is_late AS late, COUNT(*) AS n FROM reporting_reports WHERE cycle_id = ? GROUP BY parent_code, status, is_late`,
    { replacements: [cycle.id], type: QueryTypes.SELECT }) as Array<{ code: string | null; status: string; late: number | boolean; n: number }>;
  const own = await Report.findAll({ where: { cycleId: cycle.id }, attributes: ['orgCode', 'orgPath', 'status'], raw: true });
  const byCode = new Map(own.map((r) => [r.orgCode, r]));
  const out = new Map<string, { code: string; expected: number; submitted: number; onTime: number; late: number; missing: number; ownStatus: string | null }>();
  for (const r of rows) {
    if (!r.code) continue;
    const parent = byCode.get(r.code);
    if (!parent) continue;
    if (scope && !scope.some((p) => parent.orgPath.startsWith(p))) continue;
    const e = out.get(r.code) ?? { code: r.code, expected: 0, submitted: 0, onTime: 0, late: 0, missing: 0, ownStatus: parent.status };
    const n = Number(r.n);
    e.expected += n;
    if (r.status === 'submitted') {
      e.submitted += n;
      if (r.late) e.late += n;
      else e.onTime += n;
    } else e.missing += n;
    out.set(r.code, e);
  }
  return [...out.values()].sort((a, b) => a.code.localeCompare(b.code));
}

/** Whether a text names a known frequency (for CLI and import input). */
export function isKnownFrequency(f: unknown): f is Frequency {
  return isFrequency(f);
}

/** The viewer to act as for a unit from the command line: the named user, else the first active officer over the unit. */
export async function officerOf(unitCode: string, username?: string): Promise<Viewer> {
  const unit = await getOrgByCode(unitCode);
  if (username) {
    const found = await loadViewerByUsername(username);
    if (!found || !found.isActive) throw NotFound('reporting.cli.noUser', { username });
    return found.viewer;
  }
  for (const u of await findActiveUsers({ roles: ['officer'] })) {
    const v = await loadViewer(u);
    if (canAccessOrg(v, unit.path, FILL_ROLES)) return v;
  }
  throw NotFound('reporting.cli.noOfficer', { unit: unitCode });
}

// ---------------------------------------------------------------------------------------------
// DHIS2 dataValueSets: a data element is an indicator row, its category option combo a measure column.

/** One DHIS2 data value. */
export interface DataValue {
  dataElement: string;
  period: string;
  orgUnit: string;
  categoryOptionCombo?: string;
  value: string | number | null;
}

/** DHIS2's import summary, as its API answers. */
export interface ImportSummary {
  status: 'SUCCESS' | 'WARNING' | 'ERROR';
  importCount: { imported: number; updated: number; ignored: number; deleted: number };
  conflicts: Array<{ object: string; value: string }>;
}

/** Imports DHIS2 data values into reports of a regime (saved as drafts through the same checks); every report is all or nothing. */
export async function importDataValueSet(viewer: Viewer, regimeCode: string, input: { dataValues?: DataValue[] }): Promise<ImportSummary> {
  const regime = await getRegime(regimeCode);
  const plan = planOf(await regimeForm(regime));
  const summary: ImportSummary = { status: 'SUCCESS', importCount: { imported: 0, updated: 0, ignored: 0, deleted: 0 }, conflicts: [] };
  const groups = new Map<string, { period: string; unit: string; values: DataValue[] }>();
  for (const dv of input.dataValues ?? []) {
    const col = dv.categoryOptionCombo && dv.categoryOptionCombo !== 'default' ? dv.categoryOptionCombo : defaultColumn(plan, dv.dataElement);
    if (!col || !plan.cells.has(`${dv.dataElement}.${col}`)) {
      summary.importCount.ignored++;
      summary.conflicts.push({ object: `${dv.dataElement}.${dv.categoryOptionCombo ?? ''}`, value: 'unknown data element or category option combo' });
      continue;
    }
    const key = `${dv.period}|${dv.orgUnit}`;
    const g = groups.get(key) ?? { period: dv.period, unit: dv.orgUnit, values: [] };
    g.values.push({ ...dv, categoryOptionCombo: col });
    groups.set(key, g);
  }
  for (const g of groups.values()) {
    try {
      const current = await getReport(viewer, regimeCode, g.period, g.unit);
      const values = JSON.parse(JSON.stringify(current.values)) as Record<string, Record<string, unknown>>;
      for (const dv of g.values) {
        const row = (values[dv.dataElement] && typeof values[dv.dataElement] === 'object') ? values[dv.dataElement] : (values[dv.dataElement] = {});
        const n = dv.value === null || dv.value === '' ? null : Number(dv.value);
        if (Object.hasOwn(row, dv.categoryOptionCombo!) && row[dv.categoryOptionCombo!] !== null) summary.importCount.updated++;
        else summary.importCount.imported++;
        row[dv.categoryOptionCombo!] = n !== null && Number.isFinite(n) ? n : dv.value;
      }
      await saveReport(viewer, regimeCode, g.period, g.unit, values as FormValues, { explanations: current.explanations, via: 'dhis2' });
    } catch (err) {
      if (!(err instanceof Error) || !('status' in err)) throw err;
      summary.importCount.ignored += g.values.length;
      summary.conflicts.push({ object: `${g.unit}/${g.period}`, value: (err as { code?: string }).code ?? err.message });
    }
  }
  if (summary.conflicts.length) summary.status = summary.importCount.imported + summary.importCount.updated ? 'WARNING' : 'ERROR';
  return summary;
}

function defaultColumn(plan: Plan, row: string): string | null {
  const first = plan.inputs.find((c) => c.kind === 'cell' && c.key.startsWith(`${row}.`));
  return first ? first.key.split('.')[1] : null;
}

/** A report's indicator values as DHIS2 data values (period in DHIS2's shape, without the dash). */
export async function exportDataValueSet(viewer: Viewer, regimeCode: string, periodId: string, unitCode: string): Promise<{ dataSet: string; period: string; orgUnit: string; completeDate: string | null; dataValues: DataValue[] }> {
  const r = await getReport(viewer, regimeCode, periodId, unitCode);
  const regime = await getRegime(regimeCode);
  const plan = planOf(await regimeForm(regime));
  const dhisPeriod = r.period.replace('-', '');
  const dataValues: DataValue[] = [];
  for (const c of plan.cells.values()) {
    if (c.kind !== 'cell' || !c.numeric) continue;
    const v = getValue(r.values, c.key);
    if (v === null || v === undefined || v === '') continue;
    const [row, col] = c.key.split('.');
    dataValues.push({ dataElement: row, period: dhisPeriod, orgUnit: r.unit, categoryOptionCombo: col, value: String(v) });
  }
  return { dataSet: regime.code, period: dhisPeriod, orgUnit: r.unit, completeDate: r.submittedAt ? r.submittedAt.toISOString().slice(0, 10) : null, dataValues };
}

/** The page a report's process task is worked on (`/reporting/REGIME/PERIOD/UNIT`), found by its instance. */
export async function reportPageOfInstance(instanceId: string): Promise<string | null> {
  const report = await Report.findOne({ where: { instanceId }, attributes: ['regimeId', 'period', 'orgCode'] });
  if (!report) return null;
  const regime = await ReportingRegime.findByPk(report.regimeId, { attributes: ['code'] });
  return regime ? `/reporting/${encodeURIComponent(regime.code)}/${encodeURIComponent(report.period)}/${encodeURIComponent(report.orgCode)}` : null;
}
