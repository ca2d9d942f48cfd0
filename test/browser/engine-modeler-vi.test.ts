// In Chromium: the designer's modeler speaks the page's language — palette, context pad, replace menu
// and properties panel in Vietnamese by default, in English once the designer switches language.
import test from 'ava';
import { execFileSync } from 'node:child_process';
import type { Page } from 'playwright-core';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';

let b: BrowserApp;

test.before(async () => {
  execFileSync(process.execPath, ['scripts/build-client.js'], { stdio: 'ignore' });
  b = await startBrowserApp({ orgs: false });
  await makeUser('designer', null, { username: 'thietke.tiengviet' });
  await makeUser('designer', null, { username: 'thietke.tienganh' });
});
test.after.always(async () => {
  await b?.close();
});

/** What the designer reads along one walk through the modeler. */
interface ModelerTexts {
  palette: Record<string, string | null>;
  startEventTooltip: string | null;
  startEventType: string | null;
  generalGroup: string | null;
  appendTask: string | null;
  replaceTitle: string | null;
  userTaskEntry: string | null;
  userTaskType: string | null;
  assignmentGroup: string | null;
  candidateGroupsLabel: string | null;
}

const PALETTE_ACTIONS = ['hand-tool', 'lasso-tool', 'create.start-event', 'create.task', 'create.exclusive-gateway', 'create.participant-expanded'];

/** Reads the palette's tool names, selects the start event, appends a task and turns it into a user task, as a designer clicks. */
async function walkModeler(page: Page): Promise<ModelerTexts> {
  await page.waitForSelector('#modeler[data-ready="true"]');
  const palette: Record<string, string | null> = {};
  // The palette names its tools in aria-label, which is also what its hover tooltip shows.
  for (const action of PALETTE_ACTIONS) palette[action] = await page.getAttribute(`.djs-palette [data-action="${action}"]`, 'aria-label');
  await page.hover('.djs-palette [data-action="create.start-event"]');
  const startEventTooltip = await page.locator('.djs-palette-tooltip-label').textContent();

  await page.click('.djs-element.djs-shape[data-element-id="StartEvent_1"]');
  // The panel shows the process until the selection reaches it; the start event's name tells them apart.
  await page.locator('.bio-properties-panel-header-label', { hasText: 'Bắt đầu' }).waitFor();
  const startEventType = await page.locator('.bio-properties-panel-header-type').textContent();
  const generalGroup = await page.locator('[data-group-id="group-general"] .bio-properties-panel-group-header-title').textContent();
  const appendTask = await page.getAttribute('.djs-context-pad [data-action="append.append-task"]', 'title');

  // Appending selects the new task and opens its context pad; "Change element" opens the replace menu.
  await page.click('.djs-context-pad [data-action="append.append-task"]');
  await page.locator('.djs-element.djs-shape.selected:not([data-element-id="StartEvent_1"])').waitFor();
  await page.click('.djs-context-pad [data-action="replace"]');
  const replaceTitle = await page.locator('.djs-popup .djs-popup-title').textContent();
  const userTaskItem = page.locator('.djs-popup [data-id="replace-with-user-task"]');
  const userTaskEntry = await userTaskItem.locator('.djs-popup-label').textContent();
  await userTaskItem.click();

  const assignment = page.locator('[data-group-id="group-assignmentDefinition"]');
  await assignment.waitFor();
  const userTaskType = await page.locator('.bio-properties-panel-header-type').textContent();
  const assignmentGroup = await assignment.locator('.bio-properties-panel-group-header-title').textContent();
  await assignment.locator('.bio-properties-panel-group-header').click();
  const candidateGroupsLabel = await page.locator('label[for="bio-properties-panel-assignmentDefinitionCandidateGroups"]').textContent();
  return { palette, startEventTooltip, startEventType, generalGroup, appendTask, replaceTitle, userTaskEntry, userTaskType, assignmentGroup, candidateGroupsLabel };
}

test.serial('a designer sees the palette, context pad, replace menu and properties panel in Vietnamese by default', async (t) => {
  const page = await b.newPage();
  await loginAs(page, 'thietke.tiengviet');
  await page.goto('/engine/modeler');
  t.is(await page.getAttribute('html', 'lang'), 'vi');
  t.deepEqual(await walkModeler(page), {
    palette: {
      'hand-tool': 'Dùng công cụ kéo sơ đồ',
      'lasso-tool': 'Dùng công cụ chọn vùng',
      'create.start-event': 'Tạo sự kiện bắt đầu',
      'create.task': 'Tạo công việc',
      'create.exclusive-gateway': 'Tạo cổng rẽ nhánh',
      'create.participant-expanded': 'Tạo bên tham gia (pool)',
    },
    startEventTooltip: 'Tạo sự kiện bắt đầu',
    startEventType: 'Sự kiện bắt đầu',
    generalGroup: 'Thông tin chung',
    appendTask: 'Nối tiếp công việc',
    replaceTitle: 'Đổi loại phần tử',
    userTaskEntry: 'Công việc người dùng',
    userTaskType: 'Công việc người dùng',
    assignmentGroup: 'Phân công',
    candidateGroupsLabel: 'Nhóm ứng viên',
  });
  await page.screenshot({ path: 'test-results/engine-modeler-vi.png' });
  await page.context().close();
});

test.serial('the same entries are English after the designer switches to English', async (t) => {
  const page = await b.newPage();
  await loginAs(page, 'thietke.tienganh');
  await page.goto('/engine/modeler');
  await page.waitForSelector('#modeler[data-ready="true"]');
  await Promise.all([page.waitForURL('/engine/modeler'), page.getByRole('button', { name: 'Switch to English' }).click()]);
  await page.waitForSelector('html[lang="en"]', { state: 'attached' });
  t.deepEqual(await walkModeler(page), {
    palette: {
      'hand-tool': 'Activate hand tool',
      'lasso-tool': 'Activate lasso tool',
      'create.start-event': 'Create start event',
      'create.task': 'Create task',
      'create.exclusive-gateway': 'Create gateway',
      'create.participant-expanded': 'Create pool/participant',
    },
    startEventTooltip: 'Create start event',
    startEventType: 'Start Event',
    generalGroup: 'General',
    appendTask: 'Append task',
    replaceTitle: 'Change element',
    userTaskEntry: 'User task',
    userTaskType: 'User Task',
    assignmentGroup: 'Assignment',
    candidateGroupsLabel: 'Candidate groups',
  });
  await page.context().close();
});
