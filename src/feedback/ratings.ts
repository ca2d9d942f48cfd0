// Satisfaction ratings of dossiers (đánh giá mức độ hài lòng, docs/feedback.md "Ratings"): once the dossier has
// its result, its owner (logged in) or whoever holds its code and the second factor of the public tracking rates
// the service once, criterion by criterion; any "not satisfied" answer opens a feedback case linked to the dossier
// in the same transaction as the rating.
import { UniqueConstraintError, type Transaction } from 'sequelize';
import { DossierRating, FeedbackCase, RATING_LEVELS, type RatingLevel } from './models.ts';
import { openCaseFromRating } from './service.ts';
import { Dossier } from '../dossiers/models.ts';
import { getOwnedDossier } from '../dossiers/handling.ts';
import { lookupPublic, vnDate } from '../dossiers/tracking.ts';
import { getProcedure } from '../catalog/service.ts';
import { findUser } from '../auth/service.ts';
import { inTransaction } from '../store/index.ts';
import { AppError, Conflict, Invalid } from '../errors.ts';
import { t as tr, type Locale } from '../i18n/index.ts';
import type { Viewer } from '../access/index.ts';

/** The criteria Vietnamese public service portals ask about, in the order the form shows them; `overall` first. */
export const RATING_CRITERIA = [
  'overall', 'ease', 'timeliness', 'attitude', 'legalTime', 'contacts', 'agencies', 'oneStop', 'publicity', 'feedbackHandling', 'onlineService',
] as const;
export type RatingCriterion = (typeof RATING_CRITERIA)[number];

/** Locale key of a criterion's question. */
export const criterionKey = (c: RatingCriterion): string => `ratings.criteria.${c}`;
/** Locale key of a level's words. */
export const levelKey = (l: RatingLevel): string => `ratings.levels.${l}`;

/** Longest comment kept. */
export const COMMENT_MAX = 2000;
/** Statuses in which a dossier has its result: handed back (`done`) or refused with the reason given. */
export const RATEABLE_STATUSES: ReadonlySet<string> = new Set(['done', 'refused']);

const CRITERIA = new Set<string>(RATING_CRITERIA);
const LEVELS = new Set<string>(RATING_LEVELS);

/** What a rater sends: a level per criterion (every criterion is answered) and an optional comment. */
export interface RatingInput {
  answers: Map<string, string>;
  comment?: string | null;
}

/** A rating as the pages and the API show it. */
export interface RatingView {
  dossierId: number;
  dossierCode: string;
  overall: RatingLevel;
  answers: Array<{ criterion: RatingCriterion; level: RatingLevel }>;
  comment: string | null;
  via: 'account' | 'code';
  ratedAt: Date;
  feedbackCaseId: number | null;
  feedbackCaseCode: string | null;
}

/** Whether a dossier in this status may be rated. */
export function isRateableStatus(status: string): boolean {
  return RATEABLE_STATUSES.has(status);
}

/** The answers of a request body (`{criterion: level}`) as a Map; only the criteria's own keys are read. */
export function answersFrom(body: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!body || typeof body !== 'object') return out;
  for (const [k, v] of Object.entries(body)) if (typeof v === 'string') out.set(k, v);
  return out;
}

/** Checks the answers and the comment; 422 listing every problem. */
export function checkRating(input: RatingInput, locale: Locale = 'vi'): { answers: Map<RatingCriterion, RatingLevel>; comment: string | null } {
  const problems: Array<{ field: string; code: string; params?: Record<string, unknown> }> = [];
  for (const k of input.answers.keys()) {
    if (!CRITERIA.has(k)) problems.push({ field: `answers.${k.slice(0, 40)}`, code: 'ratings.unknownCriterion', params: { name: k.slice(0, 40) } });
  }
  const answers = new Map<RatingCriterion, RatingLevel>();
  for (const c of RATING_CRITERIA) {
    const v = input.answers.get(c);
    const params = { criterion: c, name: tr(locale, criterionKey(c)) };
    if (v === undefined || v === '') problems.push({ field: c, code: 'ratings.answerRequired', params });
    else if (!LEVELS.has(v)) problems.push({ field: c, code: 'ratings.badLevel', params });
    else answers.set(c, v as RatingLevel);
  }
  const comment = (input.comment ?? '').normalize('NFC').replace(/\r\n?/g, '\n').trim();
  if (comment.length > COMMENT_MAX) problems.push({ field: 'comment', code: 'ratings.commentTooLong', params: { max: COMMENT_MAX } });
  if (problems.length) throw Invalid(problems[0].code, { max: COMMENT_MAX, ...problems[0].params }, problems);
  return { answers, comment: comment || null };
}

/** The criteria answered "not satisfied". Any of them opens a feedback case, not only the overall one. */
export function unsatisfiedCriteria(answers: Map<RatingCriterion, RatingLevel>): RatingCriterion[] {
  return RATING_CRITERIA.filter((c) => answers.get(c) === 'unsatisfied');
}

/** The rating of a dossier, or null. */
export async function ratingOf(dossierId: number): Promise<RatingView | null> {
  const r = await DossierRating.findOne({ where: { dossierId } });
  return r ? viewOf(r) : null;
}

async function viewOf(r: DossierRating): Promise<RatingView> {
  const stored = new Map(Object.entries(JSON.parse(r.answersJson) as Record<string, RatingLevel>));
  const answers = RATING_CRITERIA.filter((c) => stored.has(c)).map((c) => ({ criterion: c, level: stored.get(c)! }));
  let feedbackCaseCode: string | null = null;
  if (r.feedbackCaseId) {
    feedbackCaseCode = (await FeedbackCase.findByPk(r.feedbackCaseId, { attributes: ['code'] }))?.code ?? null;
  }
  return {
    dossierId: r.dossierId, dossierCode: r.dossierCode, overall: r.overall, answers, comment: r.comment, via: r.via, ratedAt: r.ratedAt,
    feedbackCaseId: r.feedbackCaseId, feedbackCaseCode,
  };
}

/** What the owner's dossier page needs: whether the "rate" button shows, and the rating once given. */
export async function ratingStateOf(dossier: { id: number; status: string }): Promise<{ isRateable: boolean; rating: RatingView | null }> {
  const rating = await ratingOf(dossier.id);
  return { isRateable: !rating && isRateableStatus(dossier.status), rating };
}

function caseContent(d: Dossier, unsatisfied: RatingCriterion[], comment: string | null): string {
  // The case is the agency's working text, written in Vietnamese whatever the rater's language.
  const lines = [
    tr('vi', 'ratings.case.intro', { code: d.code ?? '', procedure: d.procedureName }),
    ...unsatisfied.map((c) => `- ${tr('vi', criterionKey(c))}`),
  ];
  if (comment) lines.push('', tr('vi', 'ratings.case.comment'), comment);
  return lines.join('\n');
}

async function contactOf(d: Dossier, viaAccount: Viewer | null): Promise<{ name: string; phone: string | null; email: string | null; userId: number | null }> {
  const owner = d.ownerUserId ? await findUser({ userId: d.ownerUserId }) : null;
  return {
    name: d.applicantName || owner?.fullName || viaAccount?.fullName || '—',
    phone: d.applicantPhone ?? null,
    email: d.applicantEmail || owner?.email || null,
    userId: viaAccount ? viaAccount.userId : null,
  };
}

/** Writes the rating (and its case) in one transaction; a second rating of the dossier is a 409, also in a race. */
async function record(d: Dossier, input: RatingInput, via: 'account' | 'code', viewer: Viewer | null, locale: Locale): Promise<RatingView> {
  const checked = checkRating(input, locale);
  if (!isRateableStatus(d.status)) throw Conflict('ratings.notYet', { code: d.code ?? '' });
  if (await DossierRating.count({ where: { dossierId: d.id } })) throw Conflict('ratings.already', { code: d.code ?? '' });
  const { procedure } = await getProcedure(d.procedureCode);
  const unsatisfied = unsatisfiedCriteria(checked.answers);
  const contact = unsatisfied.length ? await contactOf(d, viewer) : null;
  const now = new Date();
  try {
    const row = await inTransaction(async (t: Transaction) => {
      // The insert comes first: under a race the unique index on dossier_id stops the second writer here.
      const r = await DossierRating.create({
        dossierId: d.id, dossierCode: d.code, procedureCode: d.procedureCode, field: procedure.field ?? '', orgCode: d.orgCode, orgPath: d.orgPath,
        via, userId: viewer?.userId ?? null, overall: checked.answers.get('overall'), answersJson: JSON.stringify(Object.fromEntries(checked.answers)),
        comment: checked.comment, feedbackCaseId: null, day: vnDate(now), ratedAt: now,
      }, { transaction: t });
      if (contact) {
        const c = await openCaseFromRating({ dossierId: d.id, dossierCode: d.code ?? '', comment: caseContent(d, unsatisfied, checked.comment), contact, orgCode: d.orgCode, locale }, t);
        await r.update({ feedbackCaseId: c.id }, { transaction: t });
      }
      return r;
    });
    return viewOf(row);
  } catch (err) {
    if (err instanceof UniqueConstraintError) throw Conflict('ratings.already', { code: d.code ?? '' });
    throw err;
  }
}

/** The logged-in owner rates their dossier (anyone else: 404, as for every other view of a dossier). */
export async function rateAsOwner(viewer: Viewer, dossierId: number, input: RatingInput, locale: Locale = viewer.locale): Promise<RatingView> {
  const d = await getOwnedDossier(viewer, dossierId);
  return record(d, input, 'account', viewer, locale);
}

/** The owner's dossier with its rating state (404 for anyone else). */
export async function ownerRatingPage(viewer: Viewer, dossierId: number): Promise<{ dossier: Dossier; isRateable: boolean; rating: RatingView | null }> {
  const d = await getOwnedDossier(viewer, dossierId);
  return { dossier: d, ...(await ratingStateOf(d)) };
}

/**
 * Anyone rates a dossier by its code and the second factor of the public tracking (the same check and the same
 * limits, src/dossiers/tracking.ts): a wrong factor and an unknown code are the same 401. The answers are checked
 * before the factor, so a one-time code is not spent on a form that would be refused.
 */
export async function rateByCode(code: string, factor: string, ip: string, input: RatingInput, locale: Locale = 'vi'): Promise<RatingView> {
  checkRating(input, locale);
  const found = await lookupPublic(code, factor, ip);
  const d = await Dossier.findOne({ where: { code: found.code } });
  if (!d) throw new AppError('dossiers.tracking.refused', 401);
  return record(d, input, 'code', null, locale);
}
