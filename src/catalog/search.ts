// Catalog search with MiniSearch over the rows in the database. Each node keeps one index in memory, built from the
// catalog version it read first; a search that finds another version in the database rebuilds it before answering.
import MiniSearch, { type SearchResult } from 'minisearch';
import { Procedure, ProcedureFaq } from './models.ts';
import { selectRows } from '../engine/sql.ts';
import { fold, splitLevels } from './parse.ts';

/** What the index keeps of a procedure for lists and filters. */
export interface ProcedureDoc {
  id: number;
  code: string;
  name: string;
  agency: string;
  field: string;
  level: string;
  levels: string[];
  onlineLevel: 'full' | 'partial' | null;
  processingText: string | null;
  processingAmount: number | null;
  processingUnit: string | null;
  feeMin: number | null;
  feeMax: number | null;
  feeText: string | null;
}

/** What the index keeps of an FAQ entry. */
export interface FaqDoc {
  id: number;
  procedureCode: string;
  question: string;
  answer: string;
}

interface Built {
  version: number;
  procedures: MiniSearch<ProcedureDoc>;
  faqs: MiniSearch<FaqDoc>;
  docs: Map<number, ProcedureDoc>;
  /** Every procedure in Vietnamese name order, for a search without words. */
  byName: ProcedureDoc[];
  faqDocs: Map<number, FaqDoc>;
  ms: number;
}

// Words of a question that say nothing about which procedure is meant ("Tôi muốn làm … thế nào?"), folded.
const QUESTION_WORDS = new Set(['toi', 'muon', 'can', 'lam', 'the', 'nao', 'gi', 'cho', 'cua', 'o', 'dau', 'bao', 'lau', 'va', 'la', 'co', 'khong', 'duoc', 'minh', 'em', 'anh', 'chi', 'phai', 'nhu', 'thi', 'nhung', 'mot', 'nhe', 'a', 'oi', 'xin', 'hoi', 'de', 'voi', 've', 'tai', 'khi', 'thu', 'tuc', 'ho', 'so', 'di', 'nay', 'con']);

const processTerm = (term: string) => fold(term);

// Nearly every name starts with "Thủ tục": as words they match the whole catalog and tell nothing apart, and scoring
// every procedure for them is the slowest search there is. They are left out of the name and of queries.
const LEADING_THU_TUC = /^\s*thủ\s+tục\s+/iu;
const THU_TUC_WORDS = /(^|\s)thu\s+tuc(?=\s|$)/g;

/** The words of a query as the index sees them, without "thủ tục". */
function queryText(q: string): string {
  return fold(q).replace(THU_TUC_WORDS, ' ').trim();
}

function newProcedureIndex(): MiniSearch<ProcedureDoc> {
  return new MiniSearch<ProcedureDoc>({
    // Target subjects and results repeat the same few phrases in every row: indexed, they only slow common words down.
    fields: ['name', 'code', 'field', 'agency', 'documents'],
    storeFields: [],
    processTerm,
    // Only the last word is taken as a prefix, as it is the one still being typed; a prefix of every word multiplies the terms to score.
    searchOptions: { processTerm, boost: { name: 4, code: 6, field: 1.5 }, prefix: (_term: string, i: number, terms: string[]) => i === terms.length - 1 },
  });
}

function newFaqIndex(): MiniSearch<FaqDoc> {
  return new MiniSearch<FaqDoc>({ fields: ['question', 'answer'], storeFields: [], processTerm, searchOptions: { processTerm, boost: { question: 3 }, prefix: true } });
}

let current: Built | null = null;

/** The catalog version now: the same primary-key read as catalogVersion(), as plain SQL (every search makes it). */
async function versionNow(): Promise<number> {
  const [row] = await selectRows<{ version: number }>('SELECT version FROM catalog_state WHERE id = 1', []);
  return Number(row?.version ?? 0);
}
let building: Promise<Built> | null = null;

async function build(version: number): Promise<Built> {
  const started = Date.now();
  const rows = await Procedure.findAll({ raw: true });
  const faqRows = await ProcedureFaq.findAll({ raw: true });
  const procedures = newProcedureIndex();
  const docs = new Map<number, ProcedureDoc>();
  const indexed = rows.map((r) => {
    const doc: ProcedureDoc = {
      id: r.id, code: r.code, name: r.name, agency: r.agency, field: r.field, level: r.level, levels: splitLevels(r.level),
      onlineLevel: r.onlineLevel, processingText: r.processingText, processingAmount: r.processingAmount, processingUnit: r.processingUnit,
      feeMin: r.feeMin === null ? null : Number(r.feeMin), feeMax: r.feeMax === null ? null : Number(r.feeMax), feeText: r.feeText,
    };
    docs.set(r.id, doc);
    return { ...doc, name: r.name.replace(LEADING_THU_TUC, ''), documents: r.documents ?? '' };
  });
  procedures.addAll(indexed);
  const faqs = newFaqIndex();
  const faqDocs = new Map<number, FaqDoc>(faqRows.map((f) => [f.id, { id: f.id, procedureCode: f.procedureCode, question: f.question, answer: f.answer }]));
  faqs.addAll([...faqDocs.values()]);
  const collator = new Intl.Collator('vi');
  const byName = [...docs.values()].sort((a, b) => collator.compare(a.name, b.name) || a.code.localeCompare(b.code));
  return { version, procedures, faqs, docs, byName, faqDocs, ms: Date.now() - started };
}

/** The index for the catalog version in the database now, rebuilt when another node (or this one) changed the catalog. */
export async function catalogIndex(): Promise<Built> {
  const version = await versionNow();
  if (current && current.version === version) return current;
  if (!building) {
    building = build(version).then((b) => {
      if (!current || b.version >= current.version) current = b;
      return b;
    }).finally(() => {
      building = null;
    });
  }
  const b = await building;
  // A build that started from an older version than the one read here is stale for this caller: build again.
  return b.version === version ? b : catalogIndex();
}

/** Forgets the index (tests that swap databases). */
export function resetCatalogIndex(): void {
  current = null;
}

/** Filters of a catalog search; each is an exact value as listed in the facets. */
export interface CatalogFilters {
  field?: string;
  agency?: string;
  level?: string;
  online?: string;
}

/** One value of a facet and how many procedures have it. */
export interface FacetValue {
  value: string;
  count: number;
}

/** A page of search results with the counts per filter value. */
export interface CatalogPage {
  total: number;
  page: number;
  pageSize: number;
  items: ProcedureDoc[];
  facets: { field: FacetValue[]; agency: FacetValue[]; level: FacetValue[]; online: FacetValue[] };
  /** Whether no procedure had every word, so the answer holds those with the most of them. */
  isRelaxed: boolean;
}

const DIMENSIONS = ['field', 'agency', 'level', 'online'] as const;
/** One collator for every facet sort (localeCompare with a locale builds one per comparison). */
const viCollator = new Intl.Collator('vi');
type Dimension = (typeof DIMENSIONS)[number];

function valuesOf(doc: ProcedureDoc, dim: Dimension): string[] {
  if (dim === 'level') return doc.levels;
  if (dim === 'online') return doc.onlineLevel ? [doc.onlineLevel] : [];
  return [doc[dim]];
}

function meaningfulWords(q: string): string[] {
  return fold(q).split(/[\s\p{P}]+/u).filter((w) => w && !QUESTION_WORDS.has(w));
}

/** The procedures matching the words (every word, as a prefix, without diacritics; else most of them), best first. */
export function matchProcedures(index: Built, q: string): { docs: ProcedureDoc[]; isRelaxed: boolean; scores: Map<number, number> } {
  const words = queryText(q);
  if (!words) return { docs: index.byName, isRelaxed: false, scores: new Map() };
  // Typos are forgiven only when the words as typed find nothing: fuzzy matching walks much more of the index.
  const fuzzy = (term: string) => (term.length > 5 ? 0.2 : false);
  let hits: SearchResult[] = index.procedures.search(words, { combineWith: 'AND' });
  if (!hits.length) hits = index.procedures.search(words, { combineWith: 'AND', fuzzy });
  let isRelaxed = false;
  if (!hits.length) {
    const kept = meaningfulWords(words);
    if (kept.length) {
      hits = index.procedures.search(kept.join(' '), { combineWith: 'OR', fuzzy });
      isRelaxed = hits.length > 0;
    }
  }
  const scores = new Map(hits.map((h) => [h.id as number, h.score]));
  return { docs: hits.map((h) => index.docs.get(h.id as number)!).filter(Boolean), isRelaxed, scores };
}

/** The counts of the unfiltered, wordless search per index (each index is one catalog version). */
const wholeCatalog = new WeakMap<Built, { matching: ProcedureDoc[]; facets: CatalogPage['facets'] }>();

/** The matches that pass every filter, and the counts per filter value (each counted with the other filters applied). */
function countFacets(docs: ProcedureDoc[], wanted: Map<Dimension, string>): { matching: ProcedureDoc[]; facets: CatalogPage['facets'] } {
  // One pass over the matches: a procedure that passes every filter counts in every facet; one that fails a
  // single filter counts only in that filter's facet (each facet is counted with the other filters applied).
  const counts = new Map<Dimension, Map<string, number>>(DIMENSIONS.map((d) => [d, new Map<string, number>()]));
  const add = (doc: ProcedureDoc, d: Dimension) => {
    const c = counts.get(d)!;
    for (const v of valuesOf(doc, d)) c.set(v, (c.get(v) ?? 0) + 1);
  };
  const matching: ProcedureDoc[] = [];
  for (const doc of docs) {
    let failed: Dimension | null = null;
    let failures = 0;
    for (const [d, v] of wanted) {
      if (valuesOf(doc, d).includes(v)) continue;
      failed = d;
      if (++failures > 1) break;
    }
    if (failures === 0) {
      matching.push(doc);
      for (const d of DIMENSIONS) add(doc, d);
    } else if (failures === 1) add(doc, failed!);
  }
  const facets = Object.create(null) as CatalogPage['facets'];
  for (const d of DIMENSIONS) {
    facets[d] = [...counts.get(d)!].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || viCollator.compare(a.value, b.value));
  }
  return { matching, facets };
}

/** Searches the catalog: words, filters, counts per filter value (each counted with the other filters applied), a page. */
export async function searchCatalog(q: string, filters: CatalogFilters, page = 1, pageSize = 20): Promise<CatalogPage> {
  const index = await catalogIndex();
  const { docs, isRelaxed } = matchProcedures(index, q);
  const wanted = new Map<Dimension, string>();
  for (const d of DIMENSIONS) if (filters[d]) wanted.set(d, filters[d]!);
  let counted: { matching: ProcedureDoc[]; facets: CatalogPage['facets'] };
  if (docs === index.byName && !wanted.size) {
    // The whole catalog without words or filters (the catalog's first page): counted once per catalog version.
    let whole = wholeCatalog.get(index);
    if (!whole) {
      whole = countFacets(docs, wanted);
      wholeCatalog.set(index, whole);
    }
    counted = { matching: whole.matching, facets: { field: [...whole.facets.field], agency: [...whole.facets.agency], level: [...whole.facets.level], online: [...whole.facets.online] } };
  } else counted = countFacets(docs, wanted);
  const { matching, facets } = counted;
  const start = (page - 1) * pageSize;
  return { total: matching.length, page, pageSize, items: matching.slice(start, start + pageSize), facets, isRelaxed };
}

/** For a sentence a citizen types: the procedures it most likely means and the FAQ answers that fit it. */
export async function suggestForSentence(sentence: string, limit = 5): Promise<{ procedures: ProcedureDoc[]; faqs: Array<FaqDoc & { procedureName: string }> }> {
  const index = await catalogIndex();
  const words = meaningfulWords(sentence);
  if (!words.length) return { procedures: [], faqs: [] };
  const { docs } = matchProcedures(index, sentence);
  const faqHits = index.faqs.search(words.join(' '), { combineWith: 'OR', fuzzy: (term: string) => (term.length > 5 ? 0.2 : false) });
  const names = new Map([...index.docs.values()].map((d) => [d.code, d.name]));
  const faqs = faqHits.slice(0, 3).map((h) => index.faqDocs.get(h.id as number)!).filter(Boolean).map((f) => ({ ...f, procedureName: names.get(f.procedureCode) ?? f.procedureCode }));
  return { procedures: docs.slice(0, limit), faqs };
}
