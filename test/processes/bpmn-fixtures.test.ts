// The public fixture set (test/fixtures/bpmn/, sources in its README): every file deploys — with
// warnings where due — except those the README lists as truly unrunnable, each refused for the
// reason listed; every deployed file with a none start event runs to the end with stub handlers.
import test from 'ava';
import { engineDb } from './support.ts';
import { runFixtures, fixtureFigures, fixtureExpectations, type FixtureOutcome } from '../helpers/bpmn-fixtures.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
let outcomes: FixtureOutcome[] = [];
test.before(async () => {
  db = await engineDb();
  outcomes = await runFixtures();
});
test.after.always(async () => db?.cleanup());

test('every fixture deploys except the listed unrunnable ones, each refused for its listed reasons', (t) => {
  const { refused } = fixtureExpectations();
  const actual: Record<string, string[]> = {};
  for (const o of outcomes.filter((x) => !x.deployed)) actual[o.file] = [...new Set(o.problems.map((p) => p.code))].sort();
  t.deepEqual(actual, refused);
  // No file is refused for a lint finding or a parser note alone
  t.false(outcomes.some((o) => o.problems.some((p) => p.code === 'engine.problem.lint')));
  const figures = fixtureFigures(outcomes);
  t.log(`fixtures: ${figures.files} files, ${figures.deployed} deployed (${figures.withWarnings} with warnings), ${figures.ranToEnd} of ${figures.startable} with a none start event ran to the end`);
  t.true(figures.files >= 30);
});

test('every deployed fixture with a none start event runs to the end with stub handlers', (t) => {
  const { notStarted } = fixtureExpectations();
  const stuck = outcomes
    .filter((o) => o.deployed && o.startable && !Object.hasOwn(notStarted, o.file) && o.status !== 'completed')
    .map((o) => `${o.file}: ${o.status} ${o.waitingAt?.join(',') ?? ''} ${o.incidents?.join('; ') ?? ''}`);
  t.deepEqual(stuck, []);
  t.true(outcomes.filter((o) => o.status === 'completed').length >= 30);
});
