// A Camunda Modeler file through the real server: the API and the cockpit upload accept it with its
// lint warnings worded in the reader's language, and the definition page shows the stored warnings and
// the FEEL its JUEL conditions were translated to.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';

let app: TestApp;
let designer: Session;

const modelerFile = (id: string) => `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.30.0">
  <bpmn:process id="${id}" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Gateway_1" />
    <bpmn:exclusiveGateway id="Gateway_1" default="Flow_no" />
    <bpmn:sequenceFlow id="Flow_yes" sourceRef="Gateway_1" targetRef="Activity_send"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">\${amount gt 1000}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_no" sourceRef="Gateway_1" targetRef="Event_1" />
    <bpmn:serviceTask id="Activity_send" name="Send" camunda:delegateExpression="\${mailDelegate}" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_send" targetRef="Event_1" />
    <bpmn:endEvent id="Event_1" />
  </bpmn:process>
</bpmn:definitions>`;

test.before(async () => {
  app = await startApp({ orgs: false });
  const d = await makeUser('designer');
  designer = await login(app.server, d.username);
});
test.after.always(async () => app?.close());

test.serial('the deploy API accepts a Camunda Modeler file and answers its warnings in Vietnamese, without placeholders', async (t) => {
  const res = await call(app.server, designer, 'POST', '/api/engine/definitions', { xml: modelerFile('Process_apiwarn') });
  t.is(res.statusCode, 201);
  const body = JSON.parse(res.payload) as { warnings: Array<{ code: string; message: string; elementId?: string }> };
  const label = body.warnings.find((w) => w.code === 'engine.problem.lint' && w.elementId === 'StartEvent_1');
  t.truthy(label);
  t.true(label!.message.includes('label-required'));
  const delegate = body.warnings.find((w) => w.code === 'bpmn.problem.delegate');
  t.true(delegate!.message.includes('mailDelegate'));
  t.true(delegate!.message.includes('sự cố'));
  for (const w of body.warnings) t.false(/\{\w+\}/.test(w.message), w.message);
});

test.serial('the lint API lists the same findings as warnings, not problems', async (t) => {
  const res = await call(app.server, designer, 'POST', '/api/engine/lint', { xml: modelerFile('Process_lintwarn') });
  const body = JSON.parse(res.payload) as { problems: unknown[]; warnings: Array<{ code: string }> };
  t.deepEqual(body.problems, []);
  t.true(body.warnings.some((w) => w.code === 'engine.problem.lint'));
});

test.serial('a cockpit upload lands on the definition page, which shows the stored warnings and the JUEL translation', async (t) => {
  const boundary = '----govflowdeploy';
  const payload = [
    `--${boundary}`, 'Content-Disposition: form-data; name="crumb"', '', designer.crumb,
    `--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="c7.bpmn"', 'Content-Type: application/xml', '', modelerFile('Process_pagewarn'),
    `--${boundary}--`, '',
  ].join('\r\n');
  const up = await app.server.inject({ method: 'POST', url: '/engine/deploy', headers: { cookie: designer.cookie, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
  t.is(up.statusCode, 303);
  const page = await call(app.server, designer, 'GET', up.headers.location as string);
  t.is(page.statusCode, 200);
  t.true(page.payload.includes('Lưu ý khi triển khai'));
  t.regex(page.payload, /data-testid="definition-warnings"[\s\S]*label-required/);
  t.regex(page.payload, /data-testid="definition-translations"[\s\S]*Flow_yes[\s\S]*\$\{amount gt 1000\}[\s\S]*=amount &gt; 1000/);
  t.false(/\{line\}|\{column\}/.test(page.payload));
});
