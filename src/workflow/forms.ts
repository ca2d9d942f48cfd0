// Camunda Forms deployed next to BPMN files: store a `.form` file (form-js JSON) as a new version of
// its form id when its content changed, find the form a user task or start event links to, and
// seed the `.form` files of the shipped `processes/` folder.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Op, UniqueConstraintError, type Transaction } from 'sequelize';
import { WorkflowForm } from './models.ts';
import { formSchemaProblems } from './formjs.ts';
import { inTransaction } from '../store/index.ts';
import { Forbidden, Invalid } from '../errors.ts';
import { hasSystemRole, type Viewer } from '../access/index.ts';
import { appendAudit } from '../audit/service.ts';
import { actorOf } from '../auth/service.ts';
import type { FormLink } from '../engine/service.ts';

/** A deployed form as the pages use it. */
export interface DeployedForm {
  id: number;
  formId: string;
  version: number;
  name: string | null;
  sourceName: string | null;
  schema: Record<string, any>;
  createdAt: Date;
}

/** The outcome of deploying one `.form` file. */
export interface FormDeployResult {
  id: number;
  formId: string;
  version: number;
  isNew: boolean;
}

function present(row: WorkflowForm): DeployedForm {
  return { id: row.id, formId: row.formId, version: row.version, name: row.name, sourceName: row.sourceName, schema: JSON.parse(row.schema), createdAt: row.createdAt };
}

/** Largest `.form` file accepted (form-js files are a few kilobytes). */
export const MAX_FORM_BYTES = 512 * 1024;

/**
 * Deploys a form-js file: 422 with every problem when it is not a form this server can check, the
 * same version when its content is unchanged, otherwise the next version of its form id.
 */
export async function deployForm(text: string, opts: { sourceName?: string | null; deployedBy?: string | null; along?: (row: WorkflowForm, t: Transaction) => Promise<unknown> } = {}): Promise<FormDeployResult> {
  if (Buffer.byteLength(text) > MAX_FORM_BYTES) throw Invalid('tasklist.formRejected', { name: opts.sourceName ?? '' }, [{ code: 'tasklist.formProblem.tooLarge', params: { limit: MAX_FORM_BYTES } }]);
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch {
    throw Invalid('tasklist.formRejected', { name: opts.sourceName ?? '' }, [{ code: 'tasklist.formProblem.json', params: {} }]);
  }
  const problems = formSchemaProblems(schema);
  if (problems.length) throw Invalid('tasklist.formRejected', { name: opts.sourceName ?? '' }, problems);
  const s = schema as { id: string; components: unknown[] };
  const canonical = JSON.stringify(s);
  const sha256 = crypto.createHash('sha256').update(canonical).digest('hex');
  const name = typeof (s as { name?: unknown }).name === 'string' ? (s as unknown as { name: string }).name : null;
  for (let attempt = 0; ; attempt++) {
    try {
      return await inTransaction(async (transaction) => {
        const latest = await WorkflowForm.findOne({ where: { formId: s.id }, order: [['version', 'DESC']], transaction });
        if (latest && latest.sha256 === sha256) return { id: latest.id, formId: latest.formId, version: latest.version, isNew: false };
        const row = await WorkflowForm.create({
          formId: s.id, version: (latest?.version ?? 0) + 1, name, sourceName: opts.sourceName ? path.basename(opts.sourceName) : null, sha256, schema: canonical, deployedBy: opts.deployedBy ?? null,
        }, { transaction });
        await opts.along?.(row, transaction);
        return { id: row.id, formId: row.formId, version: row.version, isNew: true };
      });
    } catch (err) {
      // Another node stored the same next version at the same moment: read again.
      if (err instanceof UniqueConstraintError && attempt < 3) continue;
      throw err;
    }
  }
}

/** Deploys a form for everyone: a system-wide admin or designer; audited when a new version is stored. */
export async function deployFormFor(viewer: Viewer, text: string, sourceName: string | null): Promise<FormDeployResult> {
  if (!hasSystemRole(viewer, 'admin', 'designer')) throw Forbidden('errors.outOfScope');
  return deployForm(text, {
    sourceName, deployedBy: viewer.username,
    along: (row, t) => appendAudit(actorOf(viewer), { action: 'workflow.form.deploy', targetType: 'form', targetId: row.id, detail: { formId: row.formId, version: row.version } }, t),
  });
}

/** Deploys every `.form` file of a folder (unchanged files keep their version). */
export async function deployFormDirectory(dir: string): Promise<FormDeployResult[]> {
  if (!fs.existsSync(dir)) return [];
  const out: FormDeployResult[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.form')).sort()) {
    out.push(await deployForm(fs.readFileSync(path.join(dir, f), 'utf8'), { sourceName: f }));
  }
  return out;
}

/** Every deployed form, newest version first per form id. */
export async function listForms(): Promise<Array<Omit<DeployedForm, 'schema'>>> {
  const rows = await WorkflowForm.findAll({ attributes: { exclude: ['schema'] }, order: [['formId', 'ASC'], ['version', 'DESC']] });
  return rows.map((r) => ({ id: r.id, formId: r.formId, version: r.version, name: r.name, sourceName: r.sourceName, createdAt: r.createdAt }));
}

/** A form version by form id: the latest, a given version, or the latest deployed by a moment. */
export async function findForm(formId: string, opts: { version?: number; deployedBy?: Date } = {}): Promise<DeployedForm | null> {
  const where: Record<string, unknown> = { formId };
  if (opts.version !== undefined) where.version = opts.version;
  if (opts.deployedBy) where.createdAt = { [Op.lte]: opts.deployedBy };
  const row = await WorkflowForm.findOne({ where, order: [['version', 'DESC']] });
  // A form deployed just after its process (separate uploads of one change) still belongs to it.
  if (!row && opts.deployedBy) return findForm(formId, { version: opts.version });
  return row ? present(row) : null;
}

/** The latest form deployed from a file name (C7 `camunda-forms:deployment:NAME.form`). */
export async function findFormBySource(fileName: string): Promise<DeployedForm | null> {
  const row = await WorkflowForm.findOne({ where: { sourceName: path.basename(fileName) }, order: [['id', 'DESC']] });
  return row ? present(row) : null;
}

/** What a form link points at. */
export type ResolvedForm =
  | { kind: 'formjs'; form: DeployedForm }
  | { kind: 'govflow'; key: string }
  | { kind: 'none'; reference: string | null };

/** The govflow form key prefix (`govflow:form:KEY`). */
export const GOVFLOW_FORM_PREFIX = 'govflow:form:';

/**
 * The form a task or start event links to: a govflow form key, a C7 deployment form
 * (`camunda-forms:deployment:NAME.form`), a linked form by id (C7 `formRef`, C8 `formId`, honouring
 * the binding), or a form key equal to a deployed form id; `none` (with the reference) otherwise.
 */
export async function resolveFormLink(link: FormLink | null, resolvedKey: string | null, definitionCreatedAt?: Date): Promise<ResolvedForm> {
  const key = resolvedKey ?? (link?.kind === 'key' ? link.value : null);
  if (key) {
    if (key.startsWith(GOVFLOW_FORM_PREFIX)) return { kind: 'govflow', key: key.slice(GOVFLOW_FORM_PREFIX.length) };
    const dep = /^camunda-forms:deployment:(.+)$/.exec(key);
    if (dep) {
      const form = await findFormBySource(dep[1]);
      return form ? { kind: 'formjs', form } : { kind: 'none', reference: key };
    }
    const byId = /^[A-Za-z0-9_.-]{1,190}$/.test(key) ? await findForm(key) : null;
    return byId ? { kind: 'formjs', form: byId } : { kind: 'none', reference: key };
  }
  if (link?.kind === 'id') {
    const opts = link.binding === 'version' && link.version !== undefined ? { version: link.version } : link.binding === 'deployment' && definitionCreatedAt ? { deployedBy: definitionCreatedAt } : {};
    const form = await findForm(link.value, opts);
    return form ? { kind: 'formjs', form } : { kind: 'none', reference: link.value };
  }
  return { kind: 'none', reference: null };
}
