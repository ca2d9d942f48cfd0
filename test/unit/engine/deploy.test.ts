// Deploy validation: every problem of a file is reported at once and a rejected file changes nothing.
import test from 'ava';
import { bpmn, engineDb } from '../../processes/support.ts';
import { deployDefinition, analyzeXml } from '../../../src/engine/definitions.ts';
import { EngineDefinition } from '../../../src/engine/models.ts';
import { durationMs, parseRetryPolicy, resolveValue } from '../../../src/engine/feel.ts';
import type { TestDb } from '../../helpers/db.ts';

let db: TestDb;
test.before(async () => {
  db = await engineDb();
});
test.after.always(async () => db?.cleanup());

const simple = (task = '<userTask id="Task_a" name="Việc"/>', key = 'Process_simple') => bpmn(key, `
  <startEvent id="Start" name="Bắt đầu"/>
  <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_a"/>
  ${task}
  <sequenceFlow id="Flow_2" sourceRef="Task_a" targetRef="End"/>
  <endEvent id="End" name="Xong"/>
`);

type Rejection = { status: number; code: string; details: Array<{ code: string; elementId?: string; line?: number; column?: number; params?: Record<string, unknown> }> };

async function rejected(t: { throwsAsync(p: Promise<unknown>): Promise<unknown> }, xml: string): Promise<Rejection> {
  return (await t.throwsAsync(deployDefinition(xml))) as Rejection;
}

test.serial('malformed XML is a 422 with the line and column', async (t) => {
  const err = await rejected(t, '<?xml version="1.0"?>\n<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">\n  <process id="P" isExecutable="true">\n    <startEvent id="S">\n  </process>\n</definitions>');
  t.is(err.status, 422);
  t.is(err.code, 'engine.deployRejected');
  t.is(err.details[0].code, 'bpmn.problem.xmlAt');
  t.is(err.details[0].line, 5);
  t.true(typeof err.details[0].column === 'number');
});

test.serial('a JavaScript script task is rejected by id, naming the language', async (t) => {
  const err = await rejected(t, simple('<scriptTask id="Task_a" name="Chạy" scriptFormat="javascript"><script>next()</script></scriptTask>', 'Process_script'));
  t.is(err.status, 422);
  t.true(err.details.some((p) => p.code === 'bpmn.problem.scriptLanguage' && p.elementId === 'Task_a' && p.params?.language === 'javascript'));
});

test.serial('an element the runtime cannot execute is listed by id', async (t) => {
  const err = await rejected(t, simple('<complexGateway id="Task_a" name="Phức hợp"/>', 'Process_complex'));
  t.true(err.details.some((p) => p.code === 'engine.problem.unsupportedElement' && p.elementId === 'Task_a' && p.params?.type === 'ComplexGateway'));
});

test.serial('standard loops are listed as something the runtime cannot execute, and a completion condition must be FEEL', async (t) => {
  const loop = await rejected(t, simple('<userTask id="Task_a" name="Lặp"><standardLoopCharacteristics/></userTask>', 'Process_loop'));
  t.true(loop.details.some((p) => p.code === 'engine.problem.unsupportedElement' && p.elementId === 'Task_a' && p.params?.type === 'StandardLoopCharacteristics'));
  const condition = await rejected(t, simple('<subProcess id="Task_a" name="Mỗi đơn vị"><multiInstanceLoopCharacteristics camunda:collection="=units"><completionCondition>done</completionCondition></multiInstanceLoopCharacteristics><startEvent id="S2" name="Vào"/></subProcess>', 'Process_mi_cond'));
  t.true(condition.details.some((p) => p.code === 'engine.problem.notFeel' && p.elementId === 'Task_a' && p.params?.value === 'done'));
});

test.serial('a multi-instance task needs a FEEL collection or a count', async (t) => {
  const none = await rejected(t, simple('<userTask id="Task_a" name="Mỗi đơn vị"><multiInstanceLoopCharacteristics/></userTask>', 'Process_mi_none'));
  t.true(none.details.some((p) => p.code === 'engine.problem.loopWithoutCollection' && p.elementId === 'Task_a'));
  const text = await rejected(t, simple('<userTask id="Task_a" name="Mỗi đơn vị"><multiInstanceLoopCharacteristics camunda:collection="units"/></userTask>', 'Process_mi_text'));
  t.true(text.details.some((p) => p.code === 'engine.problem.notFeel' && p.params?.value === 'units'));
  const juel = await analyzeXml(simple('<userTask id="Task_a" name="Mỗi đơn vị"><multiInstanceLoopCharacteristics camunda:collection="${units}"/></userTask>', 'Process_mi_juel'));
  t.deepEqual(juel.problems, []);
  t.is(juel.meta?.elements.Task_a.loop?.collection, '=units');
});

test.serial('an unknown element is a parse problem with its position', async (t) => {
  const err = await rejected(t, simple('<fancyTask id="Task_a" name="?"/>', 'Process_unknown'));
  t.true(err.details.some((p) => p.code === 'bpmn.problem.xmlAt' && typeof p.line === 'number'));
});

test.serial('bad FEEL and JavaScript conditions are both reported in one answer, the language named', async (t) => {
  const xml = bpmn('Process_feel', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Gateway_1"/>
    <exclusiveGateway id="Gateway_1" name="Chọn" default="Flow_c"/>
    <sequenceFlow id="Flow_a" name="A" sourceRef="Gateway_1" targetRef="End"><conditionExpression>=(amount &gt; </conditionExpression></sequenceFlow>
    <sequenceFlow id="Flow_b" name="B" sourceRef="Gateway_1" targetRef="End"><conditionExpression language="javascript">next(null, true)</conditionExpression></sequenceFlow>
    <sequenceFlow id="Flow_c" name="C" sourceRef="Gateway_1" targetRef="End"/>
    <endEvent id="End" name="Xong"/>
  `);
  const err = await rejected(t, xml);
  t.true(err.details.some((p) => p.code === 'engine.problem.feelSyntax' && p.elementId === 'Flow_a'));
  t.true(err.details.some((p) => p.code === 'bpmn.problem.conditionLanguage' && p.elementId === 'Flow_b' && p.params?.language === 'javascript'));
  t.is(await EngineDefinition.count({ where: { key: 'Process_feel' } }), 0);
});

test.serial('bpmnlint findings are warnings: a task with no way out deploys, and the warning is kept with the version', async (t) => {
  const xml = bpmn('Process_lint', `
    <startEvent id="Start" name="Bắt đầu"/>
    <sequenceFlow id="Flow_1" sourceRef="Start" targetRef="Task_a"/>
    <userTask id="Task_a" name="Việc"/>
  `);
  const result = await deployDefinition(xml);
  t.true(result.warnings.some((p) => p.code === 'engine.problem.lint' && p.params.rule === 'no-implicit-end'));
  const row = await EngineDefinition.findByPk(result.id);
  t.true(JSON.parse(row!.warnings!).some((p: { params: { rule?: string } }) => p.params.rule === 'no-implicit-end'));
});

test.serial('the same XML twice is one version; a change makes version 2', async (t) => {
  const first = await deployDefinition(simple());
  const again = await deployDefinition(simple());
  t.is(first.version, 1);
  t.true(first.isNew);
  t.is(again.version, 1);
  t.false(again.isNew);
  const changed = await deployDefinition(simple('<userTask id="Task_a" name="Việc mới"/>'));
  t.is(changed.version, 2);
  t.true(changed.isNew);
});

test('a Camunda Modeler file with a diagram parses without changes to its XML', async (t) => {
  const a = await analyzeXml(simple());
  t.deepEqual(a.problems, []);
  t.true(a.xml.includes('bpmndi:BPMNDiagram'));
  const again = await analyzeXml(a.xml);
  t.deepEqual(again.problems, []);
  t.is(again.xml, a.xml);
});

test('FEEL resolves values, durations and retry policies', (t) => {
  t.is(resolveValue('=amount > 100', { amount: 150 }), true);
  t.is(resolveValue('PT5M', {}), 'PT5M');
  t.is(durationMs('PT1.5S'), 1500);
  t.is(durationMs('P1DT1H'), 90000000);
  t.deepEqual(parseRetryPolicy('R5/PT5M'), { tries: 5, backoffMs: 300000, exponential: false });
  t.is(parseRetryPolicy('nonsense'), null);
});

test('a file saved by Camunda Modeler 8 (modeler namespace, zeebe:userTask, version tag) is accepted as is', async (t) => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_c8" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.30.0" modeler:executionPlatform="Camunda Cloud" modeler:executionPlatformVersion="8.6.0">
  <bpmn:process id="Process_c8" name="Từ Camunda Modeler" isExecutable="true">
    <bpmn:extensionElements><zeebe:versionTag value="1.0" /></bpmn:extensionElements>
    <bpmn:startEvent id="StartEvent_1" name="Bắt đầu"><bpmn:outgoing>Flow_1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Task_1" />
    <bpmn:userTask id="Task_1" name="Duyệt">
      <bpmn:extensionElements><zeebe:userTask /><zeebe:assignmentDefinition candidateGroups="leader" /></bpmn:extensionElements>
      <bpmn:incoming>Flow_1</bpmn:incoming><bpmn:outgoing>Flow_2</bpmn:outgoing>
    </bpmn:userTask>
    <bpmn:endEvent id="EndEvent_1" name="Xong"><bpmn:incoming>Flow_2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Task_1" targetRef="EndEvent_1" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Process_c8">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1"><dc:Bounds x="152" y="82" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="Task_1_di" bpmnElement="Task_1"><dc:Bounds x="240" y="60" width="100" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="EndEvent_1_di" bpmnElement="EndEvent_1"><dc:Bounds x="392" y="82" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="Flow_1_di" bpmnElement="Flow_1"><di:waypoint x="188" y="100" /><di:waypoint x="240" y="100" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="Flow_2_di" bpmnElement="Flow_2"><di:waypoint x="340" y="100" /><di:waypoint x="392" y="100" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;
  const a = await analyzeXml(xml);
  t.deepEqual(a.problems, []);
  t.is(a.xml, xml);
  t.is(a.meta!.elements.Task_1.candidateGroups, 'leader');
});
