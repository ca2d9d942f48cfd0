// Imports org units from the CSV formats of shared/data: admin-units-*.csv and agencies.csv.
// A bad file is rejected whole, with every offending line listed; a good one is upserted by code.
import { OrgUnit, ORG_LEVELS, type OrgLevel } from './models.ts';
import { Forbidden, Invalid } from '../errors.ts';
import { appendAudit, type Actor } from '../audit/service.ts';
import { actorOf } from '../auth/service.ts';
import type { Viewer } from '../access/index.ts';
import { inTransaction } from '../store/index.ts';
import { parseCsv } from './csv.ts';

/** Code of the root unit every tree hangs from (the Government). */
export const ROOT_CODE = 'VN';

/** One problem of an import file. */
export interface ImportProblem {
  line: number;
  code?: string;
  message: string;
  /** Catalog key and parameters so pages can show it in the user's language. */
  key: string;
  params: Record<string, unknown>;
}

/** What an import did. */
export interface ImportResult {
  tree: string;
  format: 'admin-units' | 'agencies';
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  ms: number;
}

interface Row {
  line: number;
  code: string;
  name: string;
  level: OrgLevel;
  kind: string;
  parentCode: string | null;
  validTo: string | null;
}

const KINDS: Array<[RegExp, string]> = [
  [/^Thành phố /, 'thanh_pho'], [/^Tỉnh /, 'tinh'], [/^Quận /, 'quan'], [/^Huyện /, 'huyen'], [/^Thị xã /, 'thi_xa'],
  [/^Phường /, 'phuong'], [/^Xã /, 'xa'], [/^Thị trấn /, 'thi_tran'], [/^Đặc khu /, 'dac_khu'],
];

// Which level a unit's parent may have, per level of the unit.
const PARENT_LEVELS: Record<OrgLevel, OrgLevel[]> = {
  central: [],
  ministry: ['central'],
  province: ['central'],
  district: ['province'],
  commune: ['district', 'province'],
};

function kindOf(name: string, level: OrgLevel): string {
  for (const [re, kind] of KINDS) if (re.test(name)) return kind;
  return level;
}

function problem(line: number, key: string, params: Record<string, unknown>, message: string, code?: string): ImportProblem {
  return { line, code, key, params: { line, ...params }, message: `line ${line}: ${message}` };
}

/** Reads and checks a whole file; returns its rows or every problem found. */
export function parseOrgFile(content: Buffer | string): { format: ImportResult['format']; rows: Row[]; problems: ImportProblem[] } {
  let text: string;
  try {
    text = typeof content === 'string' ? content : new TextDecoder('utf-8', { fatal: true }).decode(content);
  } catch {
    return { format: 'admin-units', rows: [], problems: [problem(1, 'orgs.import.encoding', {}, 'the file is not valid UTF-8 text')] };
  }
  const records = parseCsv(text.replace(/^\uFEFF/, '').normalize('NFC'));
  const header = records[0]?.fields.map((h) => h.trim()) ?? [];
  const problems: ImportProblem[] = [];
  const rows: Row[] = [];
  let format: ImportResult['format'];
  const col = (name: string) => header.indexOf(name);
  if (['code', 'name', 'level', 'parent_code'].every((c) => header.includes(c))) format = 'admin-units';
  else if (['code', 'electronic_id', 'name', 'agency_type'].every((c) => header.includes(c))) format = 'agencies';
  else {
    return { format: 'admin-units', rows: [], problems: [problem(1, 'orgs.import.header', { header: header.join(',') }, `unknown header "${header.join(',')}": expected code,name,level,parent_code or code,electronic_id,name,agency_type,…`)] };
  }
  const seen = new Map<string, number>();
  for (const rec of records.slice(1)) {
    const f = rec.fields;
    if (f.length === 1 && f[0].trim() === '') continue;
    if (f.length !== header.length) {
      problems.push(problem(rec.line, 'orgs.import.columns', { expected: header.length, got: f.length }, `expected ${header.length} columns, found ${f.length}`));
      continue;
    }
    const code = f[col('code')].trim();
    const name = f[col('name')].trim();
    if (!/^[A-Za-z0-9._-]{1,40}$/.test(code)) {
      problems.push(problem(rec.line, 'orgs.import.badCode', { code }, `code "${code}" is empty or has characters other than letters, digits, dot, dash`, code));
      continue;
    }
    if (!name) problems.push(problem(rec.line, 'orgs.import.noName', { code }, `unit ${code} has no name`, code));
    if (seen.has(code)) {
      problems.push(problem(rec.line, 'orgs.import.duplicate', { code, first: seen.get(code) }, `code ${code} already appears on line ${seen.get(code)}`, code));
      continue;
    }
    seen.set(code, rec.line);
    if (format === 'admin-units') {
      const level = f[col('level')].trim() as OrgLevel;
      if (!(ORG_LEVELS as readonly string[]).includes(level) || level === 'central' || level === 'ministry') {
        problems.push(problem(rec.line, 'orgs.import.badLevel', { code, level }, `unit ${code} has level "${level}"; expected province, district or commune`, code));
        continue;
      }
      const parentCode = f[col('parent_code')].trim() || null;
      if (level !== 'province' && !parentCode) problems.push(problem(rec.line, 'orgs.import.noParent', { code, level }, `unit ${code} (${level}) has no parent_code`, code));
      rows.push({ line: rec.line, code, name, level, kind: kindOf(name, level), parentCode, validTo: null });
    } else {
      const status = col('status') >= 0 ? f[col('status')].trim() : 'active';
      const abolished = /^abolished_(\d{4}-\d{2}-\d{2})$/.exec(status);
      rows.push({ line: rec.line, code, name, level: 'ministry', kind: f[col('agency_type')].trim() || 'bo', parentCode: null, validTo: abolished ? abolished[1] : null });
    }
  }
  // Parents: in the file or already in the tree (checked by the caller for the latter).
  const byCode = new Map(rows.map((r) => [r.code, r]));
  for (const r of rows) {
    if (!r.parentCode) continue;
    const parent = byCode.get(r.parentCode);
    if (parent && !PARENT_LEVELS[r.level].includes(parent.level)) {
      problems.push(problem(r.line, 'orgs.import.parentLevel', { code: r.code, level: r.level, parent: r.parentCode, parentLevel: parent.level }, `unit ${r.code} (${r.level}) cannot sit under ${r.parentCode} (${parent.level})`, r.code));
    }
  }
  return { format, rows, problems };
}

/** Imports a file into a tree: all or nothing, idempotent (re-import updates, never duplicates). */
export async function importOrgs(content: Buffer | string, opts: { tree?: string; validFrom?: string | null; actor?: Actor | null } = {}): Promise<ImportResult> {
  const started = Date.now();
  const tree = opts.tree ?? 'current';
  const { format, rows, problems } = parseOrgFile(content);
  return inTransaction(async (t) => {
    const existing = await OrgUnit.findAll({ where: { tree }, attributes: ['id', 'code', 'name', 'level', 'kind', 'parentId', 'path', 'depth', 'validFrom', 'validTo'], transaction: t, raw: true });
    const existingByCode = new Map(existing.map((e) => [e.code, e as unknown as OrgUnit]));
    const inFile = new Set(rows.map((r) => r.code));
    for (const r of rows) {
      if (r.parentCode && !inFile.has(r.parentCode)) {
        const p = existingByCode.get(r.parentCode);
        if (!p) problems.push(problem(r.line, 'orgs.import.unknownParent', { code: r.code, parent: r.parentCode }, `unit ${r.code} names parent ${r.parentCode}, which is neither in the file nor in tree "${tree}"`, r.code));
        else if (!PARENT_LEVELS[r.level].includes(p.level)) problems.push(problem(r.line, 'orgs.import.parentLevel', { code: r.code, level: r.level, parent: r.parentCode, parentLevel: p.level }, `unit ${r.code} (${r.level}) cannot sit under ${r.parentCode} (${p.level})`, r.code));
      }
    }
    if (problems.length) {
      problems.sort((a, b) => a.line - b.line);
      throw Invalid('orgs.import.rejected', { count: problems.length }, problems);
    }
    const now = new Date();
    let root = existingByCode.get(ROOT_CODE);
    if (!root) {
      const created = await OrgUnit.create({ tree, code: ROOT_CODE, name: 'Chính phủ', level: 'central', kind: 'chinh_phu', path: '/', depth: 0 }, { transaction: t });
      await created.update({ path: `/${created.id}/` }, { transaction: t });
      root = created;
      existingByCode.set(ROOT_CODE, created);
    }
    // First pass: insert new units and update changed names and kinds.
    let created = 0;
    let updated = 0;
    const fresh = rows.filter((r) => !existingByCode.has(r.code));
    for (let i = 0; i < fresh.length; i += 1000) {
      await OrgUnit.bulkCreate(fresh.slice(i, i + 1000).map((r) => ({
        tree, code: r.code, name: r.name, level: r.level, kind: r.kind, path: '/', depth: 0, validFrom: opts.validFrom ?? null, validTo: r.validTo, createdAt: now, updatedAt: now,
      })), { transaction: t });
    }
    created = fresh.length;
    const all = await OrgUnit.findAll({ where: { tree }, attributes: ['id', 'code', 'parentId', 'level'], transaction: t, raw: true });
    const idOf = new Map(all.map((u) => [u.code, u.id]));
    const parentIdOf = new Map(all.map((u) => [u.id, u.parentId]));
    for (const r of rows) parentIdOf.set(idOf.get(r.code)!, r.parentCode ? idOf.get(r.parentCode)! : root.id);
    // Second pass: recompute paths for the whole tree from the parent links.
    const pathOf = new Map<number, string>();
    const resolve = (id: number): string => {
      const known = pathOf.get(id);
      if (known) return known;
      const parent = parentIdOf.get(id);
      const p = parent ? `${resolve(parent)}${id}/` : `/${id}/`;
      pathOf.set(id, p);
      return p;
    };
    const changes: Array<Record<string, unknown>> = [];
    let unchanged = 0;
    const byRowCode = new Map(rows.map((r) => [r.code, r]));
    for (const u of all) {
      const path = resolve(u.id);
      const depth = path.split('/').length - 3;
      const before = existingByCode.get(u.code);
      const r = byRowCode.get(u.code);
      const next = {
        parentId: parentIdOf.get(u.id) ?? null, path, depth,
        name: r?.name ?? before?.name, kind: r?.kind ?? before?.kind, level: r?.level ?? before?.level, validTo: r ? r.validTo : before?.validTo ?? null,
      };
      const isNew = !before;
      const differs = !before || before.parentId !== next.parentId || before.path !== path || before.name !== next.name || before.kind !== next.kind || before.level !== next.level || (before.validTo ?? null) !== (next.validTo ?? null);
      if (differs) {
        changes.push({ id: u.id, tree, code: u.code, ...next, updatedAt: now, createdAt: now });
        if (!isNew && r) updated++;
      } else if (r) unchanged++;
    }
    for (let i = 0; i < changes.length; i += 1000) {
      await OrgUnit.bulkCreate(changes.slice(i, i + 1000), { updateOnDuplicate: ['parentId', 'path', 'depth', 'name', 'kind', 'level', 'validTo', 'updatedAt'], transaction: t });
    }
    const result: ImportResult = { tree, format, rows: rows.length, created, updated, unchanged, ms: Date.now() - started };
    const { ms: _ms, ...detail } = result;
    await appendAudit(opts.actor ?? null, { action: 'orgs.import', targetType: 'orgTree', targetId: tree, detail }, t);
    return result;
  });
}

/** Imports a file on behalf of a viewer: only a system-wide admin may replace a tree, since it spans every unit. */
export async function importOrgsBy(viewer: Viewer, content: Buffer | string, opts: { tree?: string; validFrom?: string | null } = {}): Promise<ImportResult> {
  if (!viewer.roles.some((r) => r.role === 'admin' && r.orgPath === null)) throw Forbidden('errors.outOfScope');
  return importOrgs(content, { ...opts, actor: actorOf(viewer) });
}
