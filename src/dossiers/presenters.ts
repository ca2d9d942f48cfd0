// What leaves the citizen's side of dossiers: JSON of the API and the view models of the pages.
import type { CitizenDocument, Dossier, DossierFile } from './models.ts';
import type { DocumentSlot, OwnDossier } from './service.ts';
import { presentEntry } from '../forms/presenters.ts';
import { sizeText } from '../forms/files.ts';
import type { Issue } from '../forms/engine.ts';
import type { FormValues } from '../forms/definition.ts';
import { toVnIso, formatVn } from '../time.ts';
import { t, type Locale } from '../i18n/index.ts';

/** A dossier as the API returns it to its owner. */
export function presentDossier(d: Dossier, files: DossierFile[] = []) {
  return {
    id: d.id, code: d.code, status: d.status, stage: d.stage, channel: d.channel,
    procedure: { code: d.procedureCode, name: d.procedureName }, form: { key: d.formKey, version: d.formVersion },
    unit: { code: d.orgCode }, submittedAt: toVnIso(d.submittedAt), receivedAt: toVnIso(d.receivedAt), due: toVnIso(d.dueAt),
    createdAt: toVnIso(d.createdAt), updatedAt: toVnIso(d.updatedAt),
    files: files.filter((f) => f.kind !== 'internal').map((f) => ({ id: f.id, docType: f.docType, name: f.name, type: f.mime, size: f.size, sha256: f.sha256, kind: f.kind, documentId: f.documentId })),
    links: { self: `/dossiers/${d.id}`, ...(d.status === 'draft' ? { edit: `/dossiers/${d.id}/edit` } : { receipt: `/dossiers/${d.id}/receipt.pdf` }) },
  };
}

/** The answer of a submission: `{id, code, due}` with the due date in Vietnam time. */
export function presentSubmission(r: { id: number; code: string; due: Date | null }) {
  return { id: r.id, code: r.code, due: toVnIso(r.due) };
}

/** One line of "my dossiers". */
export function presentListRow(d: Dossier, unitNames: Map<string, string>, locale: Locale) {
  return {
    id: d.id, code: d.code, procedureName: d.procedureName, unitName: unitNames.get(d.orgCode) ?? d.orgCode, status: d.status,
    statusText: t(locale, `dossiers.citizen.status.${d.status}`), due: d.dueAt ? formatVn(d.dueAt) : '', updated: formatVn(d.updatedAt),
    href: d.status === 'draft' ? `/dossiers/${d.id}/edit` : `/dossiers/${d.id}`, isDraft: d.status === 'draft',
  };
}

/** A stored document as the store page lists it. */
export function presentDocument(doc: CitizenDocument, slotNames: Map<string, string>, locale: Locale) {
  return {
    id: doc.id, name: doc.name, type: slotNames.get(doc.docType) ?? doc.docType, size: sizeText(doc.size), added: formatVn(doc.createdAt),
    source: t(locale, doc.source === 'result' ? 'dossiers.citizen.documents.sourceResult' : 'dossiers.citizen.documents.sourceUpload'),
    isVerified: !!doc.verifiedAt, dossierId: doc.dossierId,
  };
}

/** The edit page's view model: the form's fields with values and errors, the slots with files and reusable documents. */
export function presentEdit(own: OwnDossier, offered: Map<string, CitizenDocument[]>, opts: { values?: FormValues; issues?: Issue[]; problems?: Array<{ target?: string; message: string }>; locale: Locale; unitName: string }) {
  const { dossier: d, slots, files, form } = own;
  const entry = presentEntry(form.definition, form.plan, opts.values ?? own.values, opts.issues ?? [], opts.locale);
  const problemsBy = new Map<string, string[]>();
  for (const p of opts.problems ?? []) if (p.target) (problemsBy.get(p.target) ?? problemsBy.set(p.target, []).get(p.target)!).push(p.message);
  for (const s of entry.sections) for (const f of s.fields) f.errors = [...new Set([...f.errors, ...(problemsBy.get(f.id) ?? [])])];
  return {
    id: d.id, procedureCode: d.procedureCode, procedureName: d.procedureName, unitName: opts.unitName, status: d.status, isDraft: d.status === 'draft',
    sections: entry.sections,
    slots: slots.map((s: DocumentSlot) => ({
      ...s,
      files: files.filter((f) => f.docType === s.id && f.kind === 'attachment').map((f) => ({ id: f.id, name: f.name, size: sizeText(f.size), href: `/dossiers/${d.id}/files/${f.id}` })),
      offered: (offered.get(s.id) ?? []).filter((doc) => !files.some((f) => f.docType === s.id && f.sha256 === doc.sha256)).map((doc) => ({ id: doc.id, label: t(opts.locale, 'dossiers.citizen.edit.reuseFrom', { name: doc.name, date: formatVn(doc.createdAt).slice(0, 10) }) })),
      errors: problemsBy.get(`doc-${s.id}`) ?? [],
    })),
  };
}
