// In Chromium: a designer opens a Camunda Modeler file with unnamed events in the modeler, reads its
// lint findings as warnings (not errors), deploys it, and finds the warnings and the JUEL translation
// on the definition page.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { checkPageA11y } from '../helpers/a11y.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';

let b: BrowserApp;
let definitionId = 0;

const xml = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.30.0">
  <bpmn:process id="Process_browserwarn" name="Duyệt chi" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Gateway_1" />
    <bpmn:exclusiveGateway id="Gateway_1" name="Số tiền?" default="Flow_small" />
    <bpmn:sequenceFlow id="Flow_big" name="Lớn" sourceRef="Gateway_1" targetRef="Activity_review"><bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">\${amount &gt; 1000}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_small" name="Nhỏ" sourceRef="Gateway_1" targetRef="Event_1" />
    <bpmn:userTask id="Activity_review" name="Xem xét" camunda:candidateGroups="leader" />
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Activity_review" targetRef="Event_1" />
    <bpmn:endEvent id="Event_1" />
  </bpmn:process>
</bpmn:definitions>`;

test.before(async () => {
  execFileSync(process.execPath, ['scripts/build-client.js'], { stdio: 'ignore' });
  b = await startBrowserApp({ orgs: false });
  await makeUser('designer', null, { username: 'thietke.canhbao' });
  definitionId = (await deployDefinition(xml, { sourceName: 'duyet-chi.bpmn' })).id;
});
test.after.always(async () => {
  await b?.close();
});

test.serial('the modeler lists lint findings as warnings, deploys the file, and the definition page shows what was kept', async (t) => {
  const page = await b.newPage();
  await loginAs(page, 'thietke.canhbao');
  await page.goto(`/engine/modeler?from=${definitionId}`);
  await page.waitForSelector('#modeler[data-ready="true"]');
  // The unnamed start and end events are warnings, worded as such, and nothing is an error
  const warning = page.locator('[data-testid="problems"] li.warn', { hasText: 'StartEvent_1' }).first();
  await warning.waitFor();
  t.true((await warning.textContent())!.startsWith('Lưu ý: Quy tắc label-required'));
  t.is(await page.locator('[data-testid="problems"] li.err').count(), 0);
  t.is(await page.locator('.djs-element.gf-warning[data-element-id="StartEvent_1"]').count(), 1);
  t.is(await page.locator('.djs-element.gf-incident').count(), 0);

  // When the designer deploys, the result says so and the warnings stay listed
  await page.click('[data-testid="deploy"]');
  await page.locator('[data-testid="deploy-result"][data-status="ok"]').waitFor();
  t.regex((await page.textContent('[data-testid="deploy-result"]'))!, /Process_browserwarn phiên bản \d/);
  t.true(await page.locator('[data-testid="problems"] li.warn', { hasText: 'Event_1' }).count() > 0);

  // And the definition page shows the stored warnings and the FEEL that runs for the JUEL condition
  await checkPageA11y(t, page, `/engine/definitions/${definitionId}`);
  const heading = await page.textContent('#warnings-title');
  t.regex(heading!, /^Lưu ý khi triển khai \(\d+\)$/);
  t.true(await page.locator('[data-testid="definition-warnings"] li', { hasText: 'label-required' }).count() >= 2);
  const translation = (await page.textContent('[data-testid="definition-translations"] li'))!.replace(/\s+/g, ' ');
  t.true(translation.includes('Flow_big · condition'));
  t.true(translation.includes('${amount > 1000}'));
  t.true(translation.includes('=amount > 1000'));
  // At 360 px the page does not scroll sideways
  await page.setViewportSize({ width: 360, height: 800 });
  t.true(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
});
