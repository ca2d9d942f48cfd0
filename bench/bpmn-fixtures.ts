// Deploy figures of the public fixture set (test/fixtures/bpmn/): how many files deploy, how many of
// those with a none start event run to the end with stub handlers, and how many would deploy if lint
// findings still refused (the behaviour before they became warnings), measured in the same run.
// Last line: one JSON object.
import fs from 'node:fs';
import path from 'node:path';
import { freshDb } from '../test/helpers/db.ts';
import { runFixtures, fixtureFigures, FIXTURE_DIR } from '../test/helpers/bpmn-fixtures.ts';
import { analyzeXml } from '../src/engine/definitions.ts';

const db = await freshDb();
try {
  const started = Date.now();
  const outcomes = await runFixtures((line) => console.log(`  ${line}`));
  const seconds = (Date.now() - started) / 1000;
  for (const o of outcomes.filter((x) => !x.deployed)) console.log(`  refused ${o.file}: ${[...new Set(o.problems.map((p) => p.code))].join(', ')}`);
  // The old rule: any lint finding of category "error" (label-required, no-implicit-end…) refused the file.
  let strict = 0;
  for (const file of fs.readdirSync(FIXTURE_DIR).filter((f) => f.endsWith('.bpmn'))) {
    const a = await analyzeXml(fs.readFileSync(path.join(FIXTURE_DIR, file), 'utf8'));
    const refusedBefore = a.warnings.some((w) => (w.code === 'engine.problem.lint' && w.params.category === 'error') || w.code.startsWith('bpmn.problem.parserWarning'));
    if (!a.problems.length && !refusedBefore) strict++;
  }
  const f = fixtureFigures(outcomes);
  console.log(`files ${f.files}: deployed ${f.deployed} (${Math.round((100 * f.deployed) / f.files)} %), ${f.withWarnings} of them with warnings; ran to end ${f.ranToEnd} of ${f.startable} with a none start event (${f.started} started)`);
  console.log(`if lint errors and parser notes still refused (as before): ${strict} would deploy; ratio now/then ${(f.deployed / Math.max(1, strict)).toFixed(2)}`);
  console.log(JSON.stringify({ ...f, strictDeployed: strict, seconds }));
} finally {
  await db.cleanup();
}
