// The procedure catalog: reading procedures, the staff-written FAQ, search, and the shipped procedures.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Procedure, ProcedureFaq } from './models.ts';
import { bumpCatalogVersion } from './version.ts';
import { importProcedures, type ImportResult } from './import.ts';
import { searchCatalog, suggestForSentence, type CatalogFilters, type CatalogPage } from './search.ts';
import { inTransaction } from '../store/index.ts';
import { appendAudit } from '../audit/service.ts';
import { actorOf } from '../auth/service.ts';
import type { Viewer } from '../access/index.ts';
import { BadRequest, NotFound } from '../errors.ts';

export { importProcedures, searchCatalog, suggestForSentence };
export type { CatalogFilters, CatalogPage, ImportResult };

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The procedure files `govflow seed` imports, in order. */
export const SHIPPED_PROCEDURE_FILES = ['seed/procedures-bqp.csv', 'seed/procedures-common.csv'];

/** Imports the shipped procedure files (idempotent). */
export async function seedProcedures(print: (line: string) => void = () => {}): Promise<void> {
  for (const file of SHIPPED_PROCEDURE_FILES) {
    const r = await importProcedures(fs.readFileSync(path.join(root, file)), null, file);
    print(`procedures ${path.basename(file)}: ${r.rows} rows, ${r.created} created, ${r.updated} updated`);
  }
}

/** A procedure by its code, with its FAQ. */
export async function getProcedure(code: string): Promise<{ procedure: Procedure; faqs: ProcedureFaq[] }> {
  const procedure = await Procedure.findOne({ where: { code } });
  if (!procedure) throw NotFound('catalog.notFound', { code });
  const faqs = await ProcedureFaq.findAll({ where: { procedureCode: code }, order: [['id', 'ASC']] });
  return { procedure, faqs };
}

/** A question and its answer. */
export interface FaqInput {
  question: string;
  answer: string;
}

function checkFaq(input: FaqInput): FaqInput {
  const question = input.question.trim();
  const answer = input.answer.trim();
  if (!question || question.length > 500) throw BadRequest('catalog.faqQuestionInvalid');
  if (!answer || answer.length > 5000) throw BadRequest('catalog.faqAnswerInvalid');
  return { question, answer };
}

/** Adds an FAQ entry to a procedure, audited. */
export async function addFaq(code: string, input: FaqInput, by: Viewer): Promise<ProcedureFaq> {
  const v = checkFaq(input);
  return inTransaction(async (t) => {
    if (!(await Procedure.findOne({ where: { code }, transaction: t }))) throw NotFound('catalog.notFound', { code });
    const faq = await ProcedureFaq.create({ procedureCode: code, question: v.question, answer: v.answer, updatedBy: by.username }, { transaction: t });
    await bumpCatalogVersion(t);
    await appendAudit(actorOf(by), { action: 'catalog.faqAdd', targetType: 'procedure', targetId: code, detail: { faq: faq.id } }, t);
    return faq;
  });
}

/** Changes an FAQ entry of a procedure, audited. */
export async function updateFaq(code: string, id: number, input: FaqInput, by: Viewer): Promise<ProcedureFaq> {
  const v = checkFaq(input);
  return inTransaction(async (t) => {
    const faq = await ProcedureFaq.findOne({ where: { id, procedureCode: code }, transaction: t, lock: t.LOCK.UPDATE });
    if (!faq) throw NotFound('catalog.faqNotFound', { id });
    await faq.update({ question: v.question, answer: v.answer, updatedBy: by.username }, { transaction: t });
    await bumpCatalogVersion(t);
    await appendAudit(actorOf(by), { action: 'catalog.faqUpdate', targetType: 'procedure', targetId: code, detail: { faq: id } }, t);
    return faq;
  });
}

/** Removes an FAQ entry of a procedure, audited. */
export async function removeFaq(code: string, id: number, by: Viewer): Promise<void> {
  await inTransaction(async (t) => {
    const faq = await ProcedureFaq.findOne({ where: { id, procedureCode: code }, transaction: t, lock: t.LOCK.UPDATE });
    if (!faq) throw NotFound('catalog.faqNotFound', { id });
    await faq.destroy({ transaction: t });
    await bumpCatalogVersion(t);
    await appendAudit(actorOf(by), { action: 'catalog.faqRemove', targetType: 'procedure', targetId: code, detail: { faq: id, question: faq.question } }, t);
  });
}
