// Scenarios: files drawn in Camunda Modeler (unnamed start and end events, Camunda 7 JUEL and delegates,
// Camunda 8 FEEL scripts) deploy with warnings instead of refusals, and run: manual and untyped tasks
// pass through, JUEL conditions run as the FEEL they were translated to, a delegate without a handler
// waits as an incident an admin can retry. What truly cannot run is refused by element id.
import test from 'ava';
import { engineDb, instance, openTasks, ended } from './support.ts';
import { analyzeXml, deployDefinition, getDefinitionRow, definitionWarnings } from '../../src/engine/definitions.ts';
import { startProcess, retryIncident } from '../../src/engine/runtime.ts';
import { completeTaskAsSystem } from '../../src/engine/tasks.ts';
import { registerServiceHandler } from '../../src/engine/handlers.ts';
import { EngineIncident } from '../../src/engine/models.ts';
import { completeExternalTask, fetchAndLock } from '../../src/engine/external.ts';
import { t as translate } from '../../src/i18n/index.ts';
import type { TestDb } from '../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
});
test.after.always(async () => db?.cleanup());

/** A Camunda Modeler 5 file for Camunda 7: prefixed BPMN, camunda namespace, a diagram of the start event only. */
function c7(id: string, body: string, extra = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.30.0" camunda:historyTimeToLive="180" modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.22.0">
  ${extra}
  <bpmn:process id="${id}" isExecutable="true" camunda:historyTimeToLive="180">
    ${body}
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="${id}">
      <bpmndi:BPMNShape id="_BPMNShape_StartEvent_2" bpmnElement="StartEvent_1"><dc:Bounds x="179" y="79" width="36" height="36" /></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;
}

/** A Camunda Modeler 5 file for Camunda 8. */
function c8(id: string, body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.30.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
  <bpmn:process id="${id}" isExecutable="true">
    ${body}
  </bpmn:process>
</bpmn:definitions>`;
}

const vars = async (id: string) => JSON.parse((await instance(id)).variables) as Record<string, unknown>;

test.serial('a Camunda 7 approval with unnamed events, a manual task, an untyped task and JUEL conditions deploys with warnings and runs both ways', async (t) => {
  // Given a file as Camunda Modeler 7 writes it
  const xml = c7('Process_c7approval', `
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_0a" sourceRef="StartEvent_1" targetRef="Activity_check" />
    <bpmn:manualTask id="Activity_check" name="Check the paper file" />
    <bpmn:sequenceFlow id="Flow_0b" sourceRef="Activity_check" targetRef="Activity_note" />
    <bpmn:task id="Activity_note" />
    <bpmn:sequenceFlow id="Flow_0c" sourceRef="Activity_note" targetRef="Gateway_1" />
    <bpmn:exclusiveGateway id="Gateway_1" />
    <bpmn:sequenceFlow id="Flow_yes" sourceRef="Gateway_1" targetRef="Gateway_2"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">\${approved}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_no" sourceRef="Gateway_1" targetRef="Event_rejected"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">\${!approved}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:exclusiveGateway id="Gateway_2" default="Flow_small" />
    <bpmn:sequenceFlow id="Flow_big" sourceRef="Gateway_2" targetRef="Activity_review"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">\${amount &gt; 1000 &amp;&amp; kind == 'A' &amp;&amp; not empty units}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_small" sourceRef="Gateway_2" targetRef="Event_done" />
    <bpmn:userTask id="Activity_review" name="Review" camunda:candidateGroups="leader" camunda:assignee="\${owner}" />
    <bpmn:sequenceFlow id="Flow_0d" sourceRef="Activity_review" targetRef="Event_done" />
    <bpmn:endEvent id="Event_done" />
    <bpmn:endEvent id="Event_rejected" />
  `);
  // When it is deployed
  const deployed = await deployDefinition(xml, { sourceName: 'approval.bpmn' });
  // Then lint findings and the unknown attribute are warnings, none worded with a placeholder left in
  const rules = deployed.warnings.filter((w) => w.code === 'engine.problem.lint').map((w) => w.params.rule);
  t.true(rules.includes('label-required'));
  t.true(deployed.warnings.some((w) => w.code.startsWith('bpmn.problem.parserWarning') && String(w.params.message).includes('historyTimeToLive')));
  for (const w of deployed.warnings) {
    for (const locale of ['vi', 'en'] as const) t.false(/\{\w+\}/.test(translate(locale, w.code, { ...w.params })), `${w.code} shows a placeholder`);
  }
  // And the warnings and the translations are stored with the version
  const row = await getDefinitionRow({ id: deployed.id });
  t.is(definitionWarnings(row).length, deployed.warnings.length);
  const translations = JSON.parse(row.meta).translations as Array<{ elementId: string; field: string; feel: string }>;
  t.deepEqual(translations.find((x) => x.elementId === 'Flow_no'), { elementId: 'Flow_no', field: 'condition', juel: '${!approved}', feel: '=not(approved)' });
  t.is(translations.find((x) => x.elementId === 'Activity_review')?.feel, '=owner');

  // When a rejected request runs, the manual and the untyped task pass through and the "no" flow ends it
  const rejected = await startProcess('Process_c7approval', { variables: { approved: false } });
  t.is((await instance(rejected.id)).status, 'completed');
  t.deepEqual((await ended(rejected.id)).filter((e) => e.startsWith('Activity_') || e.startsWith('Event_')), ['Activity_check', 'Activity_note', 'Event_rejected']);

  // When an approved large one runs, the JUEL condition picks the review, assigned through the translated `${owner}`
  const big = await startProcess('Process_c7approval', { variables: { approved: true, amount: 5000, kind: 'A', units: ['01'], owner: 'lan' } });
  const [task] = await openTasks(big.id);
  t.is(task.elementId, 'Activity_review');
  t.is(task.assignee, 'lan');
  await completeTaskAsSystem(task.id, {});
  t.is((await instance(big.id)).status, 'completed');

  // And an approved small one takes the default flow
  const small = await startProcess('Process_c7approval', { variables: { approved: true, amount: 5000, kind: 'B', units: ['01'] } });
  t.is((await instance(small.id)).status, 'completed');
  t.deepEqual(await openTasks(small.id), []);
});

test.serial('a Camunda 7 delegate deploys with a warning, waits as an incident naming the missing handler, and runs after one is registered and an admin retries', async (t) => {
  const xml = c7('Process_c7delegate', `
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_class" />
    <bpmn:serviceTask id="Activity_class" name="Fetch data" camunda:class="org.example.FetchDataDelegate" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_class" targetRef="Activity_bean" />
    <bpmn:serviceTask id="Activity_bean" name="Say hello" camunda:delegateExpression="\${sayHelloDelegate}" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Activity_bean" targetRef="Event_1" />
    <bpmn:endEvent id="Event_1" />
  `);
  const deployed = await deployDefinition(xml);
  const delegates = deployed.warnings.filter((w) => w.code === 'bpmn.problem.delegate');
  t.deepEqual(delegates.map((w) => [w.elementId, w.params.kind, w.params.handler]), [
    ['Activity_class', 'class', 'org.example.FetchDataDelegate'],
    ['Activity_bean', 'delegateExpression', 'sayHelloDelegate'],
  ]);
  // When it runs with no handler registered
  const started = await startProcess('Process_c7delegate', { variables: { id: 7 } });
  // Then it waits at once as an incident that names the handler (no retries that cannot help)
  const [incident] = await EngineIncident.findAll({ where: { instanceId: started.id, status: 'open' } });
  t.is(incident.elementId, 'Activity_class');
  t.is(incident.handler, 'org.example.FetchDataDelegate');
  t.true(incident.error.includes('org.example.FetchDataDelegate'));
  t.is((await instance(started.id)).status, 'active');
  // When the handlers are registered and an admin retries
  registerServiceHandler('org.example.FetchDataDelegate', ({ variables }) => ({ data: `row ${String(variables.id)}` }));
  registerServiceHandler('sayHelloDelegate', ({ variables }) => ({ greeting: `hello ${String(variables.data)}` }));
  await retryIncident(incident.id, 'admin');
  // Then the instance runs to the end with both results
  t.is((await instance(started.id)).status, 'completed');
  t.is((await vars(started.id)).greeting, 'hello row 7');
});

test.serial('a Camunda 7 delegate that still has no handler when an admin retries its incident is served by an external worker on that topic', async (t) => {
  await deployDefinition(c7('Process_c7worker', `
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_class" />
    <bpmn:serviceTask id="Activity_class" name="Archive" camunda:class="org.example.ArchiveDelegate" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_class" targetRef="Event_1" />
    <bpmn:endEvent id="Event_1" />
  `));
  const started = await startProcess('Process_c7worker', { variables: { id: 8 } });
  const [incident] = await EngineIncident.findAll({ where: { instanceId: started.id, status: 'open' } });
  t.is(incident.handler, 'org.example.ArchiveDelegate');
  // Before the retry no worker sees it; after it the task is on the class name's topic
  t.deepEqual(await fetchAndLock({ workerId: 'w1', maxTasks: 5, topics: [{ topicName: 'org.example.ArchiveDelegate', lockDuration: 10000 }] }), []);
  await retryIncident(incident.id, 'admin');
  const locked = await fetchAndLock({ workerId: 'w1', maxTasks: 5, topics: [{ topicName: 'org.example.ArchiveDelegate', lockDuration: 10000 }] });
  t.is(locked.length, 1);
  t.is(locked[0].instanceId, started.id);
  await completeExternalTask(locked[0].id, 'w1', { archived: true });
  t.is((await instance(started.id)).status, 'completed');
  t.is((await vars(started.id)).archived, true);
});

test.serial('Camunda 8 FEEL script tasks and Camunda 7 FEEL scripts run and set their result variable', async (t) => {
  await deployDefinition(c8('Process_c8script', `
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_sum" />
    <bpmn:scriptTask id="Activity_sum" name="Sum">
      <bpmn:extensionElements><zeebe:script expression="=sum(for u in units return u.count)" resultVariable="total" /></bpmn:extensionElements>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_sum" targetRef="Gateway_1" />
    <bpmn:exclusiveGateway id="Gateway_1" default="Flow_small" />
    <bpmn:sequenceFlow id="Flow_big" sourceRef="Gateway_1" targetRef="Activity_big"><bpmn:conditionExpression>=total &gt; 10</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_small" sourceRef="Gateway_1" targetRef="Event_1" />
    <bpmn:userTask id="Activity_big" name="Check" />
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Activity_big" targetRef="Event_1" />
    <bpmn:endEvent id="Event_1" />
  `));
  const big = await startProcess('Process_c8script', { variables: { units: [{ count: 7 }, { count: 5 }] } });
  t.is((await vars(big.id)).total, 12);
  t.is((await openTasks(big.id))[0]?.elementId, 'Activity_big');
  const small = await startProcess('Process_c8script', { variables: { units: [{ count: 1 }] } });
  t.is((await instance(small.id)).status, 'completed');

  await deployDefinition(c7('Process_c7feel', `
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_label" />
    <bpmn:scriptTask id="Activity_label" scriptFormat="feel" camunda:resultVariable="label"><bpmn:script>upper case(name) + " (" + string(count) + ")"</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_label" targetRef="Event_1" />
    <bpmn:endEvent id="Event_1" />
  `));
  const c7run = await startProcess('Process_c7feel', { variables: { name: 'hà nội', count: 3 } });
  t.is((await instance(c7run.id)).status, 'completed');
  t.is((await vars(c7run.id)).label, 'HÀ NỘI (3)');
});

test.serial('what cannot run is refused by element id: a Groovy script, JUEL with a method call or a bean, a FEEL syntax error', async (t) => {
  const xml = c7('Process_c7refused', `
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Activity_groovy" />
    <bpmn:scriptTask id="Activity_groovy" scriptFormat="groovy"><bpmn:script>println 'hi'</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_groovy" targetRef="Gateway_1" />
    <bpmn:exclusiveGateway id="Gateway_1" />
    <bpmn:sequenceFlow id="Flow_method" sourceRef="Gateway_1" targetRef="Event_1"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">\${customer.prop("age").numberValue() &gt;= 21}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_bean" sourceRef="Gateway_1" targetRef="Event_1"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">\${execution.processBusinessKey == 'x'}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_feel" sourceRef="Gateway_1" targetRef="Event_1"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">=amount &gt;</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:endEvent id="Event_1" />
  `);
  const err = (await t.throwsAsync(deployDefinition(xml))) as unknown as { status: number; details: Array<{ code: string; elementId?: string; params: Record<string, unknown> }> };
  t.is(err.status, 422);
  const byId = new Map(err.details.map((p) => [p.elementId, p]));
  t.is(byId.get('Activity_groovy')?.code, 'bpmn.problem.scriptLanguage');
  t.true(translate('vi', 'bpmn.problem.scriptLanguage', { ...byId.get('Activity_groovy')!.params }).includes('groovy'));
  t.is(byId.get('Flow_method')?.code, 'bpmn.problem.juel.methodCall');
  t.is(byId.get('Flow_bean')?.code, 'bpmn.problem.juel.beanReference');
  t.is(byId.get('Flow_feel')?.code, 'engine.problem.feelSyntax');
  // Lint findings never refuse
  t.false(err.details.some((p) => p.code === 'engine.problem.lint'));
});

test('only the executable process is linted; a pool drawn for a partner is not', async (t) => {
  const xml = c7('Process_lintpool', `
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Event_1" />
    <bpmn:endEvent id="Event_1" />
  `, `<bpmn:collaboration id="Collaboration_1"><bpmn:participant id="Participant_us" processRef="Process_lintpool" /><bpmn:participant id="Participant_partner" processRef="Process_partner" /></bpmn:collaboration>
  <bpmn:process id="Process_partner" isExecutable="false"><bpmn:task id="Activity_partner" /></bpmn:process>`);
  const a = await analyzeXml(xml);
  t.deepEqual(a.problems, []);
  const ids = a.warnings.filter((w) => w.code === 'engine.problem.lint').map((w) => w.elementId);
  t.true(ids.includes('StartEvent_1'));
  t.false(ids.includes('Activity_partner'));
});

test('a file in a BPMN 2.0 draft namespace is "not a BPMN 2.0 definition"; unreadable XML without a position shows none', async (t) => {
  const draft = await analyzeXml('<?xml version="1.0"?><definitions xmlns="http://schema.omg.org/spec/BPMN/2.0" id="d"><process id="p" isExecutable="true"/></definitions>');
  t.deepEqual(draft.problems.map((p) => p.code), ['engine.problem.notBpmn']);
  const empty = await analyzeXml('');
  for (const p of empty.problems) t.false(/\{\w+\}/.test(translate('vi', p.code, { ...p.params })));
});
