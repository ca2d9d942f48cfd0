// The jobs that start received dossiers' handling instances run in batches: many dossiers submitted at once
// end with exactly one instance each (their business key and variables), also when two workers take the jobs
// side by side, when a crashed run had already started an instance, and when one dossier taken with others cannot start.
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { Dossier } from '../../../src/dossiers/models.ts';
import { businessKeyOf, receiveDossier, startHandling, JOB_START_HANDLING } from '../../../src/dossiers/core.ts';
import { EngineInstance, EngineJob } from '../../../src/engine/models.ts';
import { deployDefinition, runDueJobs, startProcess } from '../../../src/engine/service.ts';
import { batchStartCounts } from '../../../src/engine/runtime.ts';
import { importOrgs } from '../../../src/orgs/import.ts';
import { getOrgByCode } from '../../../src/orgs/service.ts';
import { inTransaction } from '../../../src/store/index.ts';
import { rebuildStatistics } from '../../../src/insight/service.ts';
import { InsightDaily, InsightOpen } from '../../../src/insight/models.ts';

let db: TestDb;

/** A handling process that stops at its first desk task. */
const PLAIN = 'test-handling-plain';

const bpmn = (id: string, body: string) => `<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_${id}" targetNamespace="http://govflow.local/test">
  <process id="${id}" name="Xử lý thử" isExecutable="true">${body}</process>
</definitions>`;

test.before(async () => {
  db = await freshDb();
  await importOrgs('code,name,level,parent_code\n01,Thành phố Hà Nội,province,\n00004,Phường Ba Đình,commune,01\n');
  await deployDefinition(bpmn(PLAIN, `
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="receive"/>
    <userTask id="receive" name="Tiếp nhận" camunda:candidateGroups="officer"/>
    <sequenceFlow id="f2" sourceRef="receive" targetRef="end"/>
    <endEvent id="end"/>`));
});

test.after.always(async () => {
  await db?.cleanup();
});

/** Submits `n` dossiers at Phường Ba Đình, each in its own transaction as the citizen's submission does. */
async function submit(n: number, processKey: string, channel: 'online' | 'post' = 'online'): Promise<Dossier[]> {
  const org = await getOrgByCode('00004');
  const out: Dossier[] = [];
  for (let i = 0; i < n; i++) {
    out.push(await inTransaction(async (t) => {
      const row = await Dossier.create({
        procedureCode: '1.001193', procedureName: 'Đăng ký khai sinh', formKey: 'dang-ky-khai-sinh', formVersion: 1, ownerUserId: 1,
        orgUnitId: org.id, orgCode: org.code, orgPath: org.path, channel, status: 'draft', valuesJson: '{}',
      }, { transaction: t });
      return receiveDossier(row, { limit: { amount: 5, unit: 'workday' }, processKey }, t);
    }));
  }
  return out;
}

async function instancesOf(d: Dossier): Promise<EngineInstance[]> {
  return EngineInstance.findAll({ where: { businessKey: businessKeyOf(d.id) } });
}

async function startJobsLeft(): Promise<EngineJob[]> {
  return EngineJob.findAll({ where: { kind: JOB_START_HANDLING } });
}

test.serial('120 submitted dossiers end with exactly one instance each, with their business key and variables, started in batches', async (t) => {
  const dossiers = await submit(120, PLAIN);
  const before = batchStartCounts();
  await runDueJobs();
  // Batch starts derive most instances from the batch's first; one-by-one starts never do.
  t.true(batchStartCounts().derived - before.derived >= 100);
  for (const d of dossiers) {
    const [instance, ...more] = await instancesOf(d);
    t.is(more.length, 0, `dossier ${d.code} has one instance`);
    t.is(instance.definitionKey, PLAIN);
    t.is(instance.status, 'active');
    t.is(instance.orgCode, '00004');
    t.deepEqual(JSON.parse(instance.variables), { dossierId: d.id, dossierCode: d.code, procedure: '1.001193', orgCode: '00004', channel: 'online' });
    t.is((await Dossier.findByPk(d.id))!.instanceId, instance.id);
  }
  t.is((await startJobsLeft()).length, 0);
  // The statistics counted each receipt once: what they keep equals a recount from the dossiers.
  t.deepEqual((await rebuildStatistics({ dryRun: true })).differences, []);
  t.is(await InsightDaily.sum('receivedOnline'), 120);
  t.is(await InsightOpen.sum('open'), 120);
  // Running the jobs again (nothing due) starts nothing more.
  await runDueJobs();
  t.is(await EngineInstance.count({ where: { definitionKey: PLAIN } }), 120);
});

test.serial('two workers taking the start jobs side by side start one instance per dossier', async (t) => {
  const dossiers = await submit(80, PLAIN);
  await Promise.all([runDueJobs('node-a'), runDueJobs('node-b')]);
  for (const d of dossiers) {
    const found = await instancesOf(d);
    t.is(found.length, 1, `dossier ${d.code} has one instance`);
    t.is((await Dossier.findByPk(d.id))!.instanceId, found[0].id);
  }
  t.is((await startJobsLeft()).length, 0);
});

test.serial('a job retried after a crash records the instance the crashed run started instead of starting a second one', async (t) => {
  const [crashed, fresh] = await submit(2, PLAIN);
  // The crashed node started the first dossier's instance, then died before it recorded it and removed its job;
  // both jobs are leased by it and the lease has run out.
  const orphan = await startProcess(PLAIN, { businessKey: businessKeyOf(crashed.id), variables: { dossierId: crashed.id }, org: { code: '00004', path: crashed.orgPath } });
  await EngineJob.update({ leaseOwner: 'dead-node#1', leaseUntil: new Date(Date.now() - 1000) }, { where: { kind: JOB_START_HANDLING } });
  await runDueJobs();
  const again = await instancesOf(crashed);
  t.deepEqual(again.map((i) => i.id), [orphan.id]);
  t.is((await Dossier.findByPk(crashed.id))!.instanceId, orphan.id);
  t.is((await instancesOf(fresh)).length, 1);
  t.is((await startJobsLeft()).length, 0);
});

test.serial('a job whose lease another node still holds is left to it', async (t) => {
  const [held] = await submit(1, PLAIN);
  await EngineJob.update({ leaseOwner: 'other-node#1', leaseUntil: new Date(Date.now() + 60_000) }, { where: { kind: JOB_START_HANDLING } });
  await runDueJobs();
  t.is((await instancesOf(held)).length, 0);
  t.is((await startJobsLeft()).length, 1);
  await EngineJob.update({ leaseUntil: new Date(Date.now() - 1000) }, { where: { kind: JOB_START_HANDLING } });
  await runDueJobs();
  t.is((await instancesOf(held)).length, 1);
});

test.serial('a dossier whose process cannot start costs the others taken with it nothing, and its job is tried again later', async (t) => {
  const good = await submit(5, PLAIN);
  const [bad] = await submit(1, 'no-such-process');
  const more = await submit(5, PLAIN);
  await runDueJobs();
  for (const d of [...good, ...more]) t.is((await instancesOf(d)).length, 1, `dossier ${d.code} started`);
  t.is((await instancesOf(bad)).length, 0);
  t.is((await Dossier.findByPk(bad.id))!.instanceId, null);
  const left = await startJobsLeft();
  t.deepEqual(left.map((j) => (JSON.parse(j.payload!) as { dossierId: number }).dossierId), [bad.id]);
  t.is(left[0].status, 'pending');
  t.is(left[0].attempts, 1);
  t.regex(left[0].lastError ?? '', /no-such-process|not found|notFound/i);
  t.true(left[0].runAt.getTime() > Date.now());
  await left[0].destroy();
});

test.serial('withdrawn dossiers and dossiers that already have an instance are skipped', async (t) => {
  const [withdrawn, started, waiting] = await submit(3, PLAIN);
  await Dossier.update({ status: 'withdrawn' }, { where: { id: withdrawn.id } });
  const existing = await startProcess(PLAIN, { businessKey: 'elsewhere', variables: {} });
  await Dossier.update({ instanceId: existing.id }, { where: { id: started.id } });
  await runDueJobs();
  t.is((await instancesOf(withdrawn)).length, 0);
  t.is((await instancesOf(started)).length, 0);
  t.is((await Dossier.findByPk(started.id))!.instanceId, existing.id);
  t.is((await instancesOf(waiting)).length, 1);
  t.is((await startJobsLeft()).length, 0);
});

test.serial('two starts of one dossier at once (the counter start and its job) leave one active instance, the one the dossier holds', async (t) => {
  const [d] = await submit(1, PLAIN);
  const answers = await Promise.all([startHandling(d.id, PLAIN), startHandling(d.id, PLAIN), runDueJobs()]);
  const active = (await instancesOf(d)).filter((i) => i.status === 'active');
  t.is(active.length, 1);
  const held = (await Dossier.findByPk(d.id))!.instanceId;
  t.is(held, active[0].id);
  t.deepEqual(answers.slice(0, 2), [held, held]);
});
