// The rules of a rating's answers that need no database: every criterion answered with one of the three levels,
// unknown criteria and long comments refused, and which answers open a feedback case.
import test from 'ava';
import { checkRating, unsatisfiedCriteria, answersFrom, RATING_CRITERIA, COMMENT_MAX } from '../../../src/feedback/ratings.ts';
import { AppError } from '../../../src/errors.ts';

const all = (level: string) => new Map(RATING_CRITERIA.map((c) => [c as string, level]));

test('a full set of answers passes and keeps the comment trimmed', (t) => {
  const r = checkRating({ answers: all('satisfied'), comment: '  Tốt.  ' });
  t.is(r.answers.size, RATING_CRITERIA.length);
  t.is(r.comment, 'Tốt.');
  t.deepEqual(unsatisfiedCriteria(r.answers), []);
});

test('any unsatisfied answer, not only the overall one, is listed for the feedback case', (t) => {
  const answers = all('very_satisfied');
  answers.set('attitude', 'unsatisfied');
  t.deepEqual(unsatisfiedCriteria(checkRating({ answers }).answers), ['attitude']);
});

test('missing, unknown and badly valued answers and a long comment are refused together, named in the user language', (t) => {
  const answers = all('satisfied');
  answers.delete('overall');
  answers.set('ease', 'meh');
  answers.set('__proto__', 'satisfied');
  const err = t.throws(() => checkRating({ answers, comment: 'x'.repeat(COMMENT_MAX + 1) }, 'en'));
  t.true(err instanceof AppError);
  t.is((err as AppError).status, 422);
  const details = (err as AppError).details as Array<{ code: string; params?: { name?: string } }>;
  t.deepEqual(details.map((d) => d.code).sort(), ['ratings.answerRequired', 'ratings.badLevel', 'ratings.commentTooLong', 'ratings.unknownCriterion']);
  t.is(details.find((d) => d.code === 'ratings.answerRequired')?.params?.name, 'Overall satisfaction with how the dossier was handled');
});

test('answers read from a body keep only string values, in a Map', (t) => {
  const m = answersFrom(JSON.parse('{"overall":"satisfied","ease":3,"__proto__":"x"}'));
  t.is(m.get('overall'), 'satisfied');
  t.false(m.has('ease'));
  t.is(m.get('__proto__'), 'x');
  t.is(({} as Record<string, unknown>).x, undefined);
});
