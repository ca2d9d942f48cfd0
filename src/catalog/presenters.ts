// What leaves the catalog: procedures as JSON and as the pages show them.
import type { Procedure, ProcedureFaq } from './models.ts';
import type { ProcedureDoc } from './search.ts';
import { splitChannels, splitLevels } from './parse.ts';

const split = (s: string | null) => (s ? s.split(' | ').map((x) => x.trim()).filter(Boolean) : []);

/** Where a citizen starts a dossier of a procedure online, or null when it cannot be done online here. */
export function startUrl(p: { code: string; formKey?: string | null; onlineLevel: string | null }): string | null {
  return p.formKey && p.onlineLevel ? `/dossiers/new?procedure=${encodeURIComponent(p.code)}` : null;
}

/** A procedure in a result list. */
export function presentSummary(d: ProcedureDoc) {
  return {
    code: d.code, name: d.name, agency: d.agency, field: d.field, level: d.level, levels: d.levels, onlineLevel: d.onlineLevel,
    processing: { amount: d.processingAmount, unit: d.processingUnit, text: d.processingText },
    fee: { min: d.feeMin, max: d.feeMax, text: d.feeText },
  };
}

/** A procedure with everything a citizen needs before starting. */
export function presentProcedure(p: Procedure, faqs: ProcedureFaq[]) {
  return {
    code: p.code, name: p.name, ministry: p.ministryCode ? { code: p.ministryCode, name: p.ministryName } : null,
    agency: p.agency, competentAuthority: p.competentAuthority, field: p.field, level: p.level, levels: splitLevels(p.level),
    procedureType: p.procedureType, announcingDecision: p.announcingDecision, channels: splitChannels(p.channels ?? ''), onlineLevel: p.onlineLevel,
    processing: { amount: p.processingAmount, unit: p.processingUnit, text: p.processingText, variants: p.processingVariants },
    fee: { min: p.feeMin, max: p.feeMax, text: p.feeText, items: split(p.feeText) },
    targetSubjects: p.targetSubjects, documents: split(p.documents), result: p.result, legalBasis: split(p.legalBasis),
    formKey: p.formKey, processKey: p.processKey, startUrl: startUrl(p),
    faqs: faqs.map((f) => ({ id: f.id, question: f.question, answer: f.answer, updatedBy: f.updatedBy, updatedAt: f.updatedAt })),
  };
}
