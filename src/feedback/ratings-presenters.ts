// What leaves the ratings side for pages: a given rating with its questions and levels in the reader's language.
import { t, type Locale } from '../i18n/index.ts';
import { formatVn } from '../time.ts';
import { criterionKey, levelKey, type RatingView } from './ratings.ts';

/** The rating as the pages show it. */
export function presentRating(r: RatingView, locale: Locale) {
  return {
    dossierId: r.dossierId,
    dossierCode: r.dossierCode,
    overall: r.overall,
    overallText: t(locale, levelKey(r.overall)),
    answers: r.answers.map((a) => ({ criterion: a.criterion, question: t(locale, criterionKey(a.criterion)), level: a.level, levelText: t(locale, levelKey(a.level)) })),
    comment: r.comment,
    ratedAt: formatVn(r.ratedAt),
    feedbackCaseCode: r.feedbackCaseCode,
  };
}
