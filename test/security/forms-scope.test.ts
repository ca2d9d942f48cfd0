// Forms are shared by every unit: only system-wide designers and admins change them. Submissions and
// their files belong to a unit: every service function that reads or writes them checks the org scope.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../helpers/server.ts';
import { smallForm } from '../fixtures/forms/small.ts';
import { loadViewer } from '../../src/auth/service.ts';
import { getOrgByCode, listChildren } from '../../src/orgs/service.ts';
import { createForm, getPreviousValues, getPublished, getSubmission, getSubmissionFile, importDefinition, newVersion, publishForm, saveDraft, saveSubmission, saveSubmissionWithFiles, uploadSubmission } from '../../src/forms/service.ts';
import type { Viewer } from '../../src/access/index.ts';
import type { FormDefinition } from '../../src/forms/definition.ts';

let app: TestApp;
let designer: Session;
let admin79: Session;
let admin79Viewer: Viewer;
let officerHn: Viewer;
let officerHcm: Viewer;
let hanoi: number;
let hcm: number;
let hcmChild: number;

const pdf = Buffer.from('%PDF-1.4\n%%EOF\n');

function fileForm(): FormDefinition {
  return { key: 'ho-so-pham-vi', code: 'HS-PV', name: 'Hồ sơ phạm vi', periodKind: 'adhoc', sections: [{ id: 's1', title: 'Hồ sơ', fields: [{ id: 'nguoiNop', label: 'Người nộp', type: 'text' }, { id: 'giayTo', label: 'Giấy tờ', type: 'file' }] }] };
}

test.before(async () => {
  app = await startApp();
  await makeUser('designer', null, { username: 'thietke.pv' });
  const a79 = await makeUser('admin', '79', { username: 'quantri.pv.79' });
  const oHn = await makeUser('officer', '01', { username: 'canbo.pv.01' });
  const oHcm = await makeUser('officer', '79', { username: 'canbo.pv.79' });
  designer = await login(app.server, 'thietke.pv');
  admin79 = await login(app.server, 'quantri.pv.79');
  admin79Viewer = await loadViewer(a79);
  officerHn = await loadViewer(oHn);
  officerHcm = await loadViewer(oHcm);
  hanoi = (await getOrgByCode('01')).id;
  const hcmOrg = await getOrgByCode('79');
  hcm = hcmOrg.id;
  hcmChild = (await listChildren(hcm))[0].id;
  for (const def of [smallForm(), fileForm()]) {
    if ((await call(app.server, designer, 'POST', '/api/forms', def)).statusCode !== 201) throw new Error('create failed');
    if ((await call(app.server, designer, 'POST', `/api/forms/${def.key}/publish`)).statusCode !== 200) throw new Error('publish failed');
  }
});
test.after.always(async () => {
  await app?.close();
});

test.serial('an admin scoped to a province cannot create, save, version, publish or import shared forms', async (t) => {
  const other = { ...smallForm(), key: 'bieu-tinh', code: 'Biểu tỉnh' };
  t.is((await call(app.server, admin79, 'POST', '/api/forms', other)).statusCode, 403);
  t.is((await call(app.server, admin79, 'POST', '/api/forms/bieu-thu/versions')).statusCode, 403);
  t.is((await call(app.server, admin79, 'POST', '/forms/bieu-thu/versions', {})).statusCode, 403);
  t.is((await call(app.server, designer, 'POST', '/api/forms/bieu-thu/versions')).statusCode, 201);
  t.is((await call(app.server, admin79, 'PUT', '/api/forms/bieu-thu', smallForm())).statusCode, 403);
  t.is((await call(app.server, admin79, 'POST', '/forms/bieu-thu/definition', { json: JSON.stringify(smallForm()) })).statusCode, 403);
  t.is((await call(app.server, admin79, 'POST', '/api/forms/bieu-thu/publish')).statusCode, 403);
  t.is((await call(app.server, admin79, 'POST', '/forms', { key: 'bieu-moi', code: 'M', name: 'Mới', periodKind: 'month' })).statusCode, 403);
  for (const fn of [() => createForm(admin79Viewer, other), () => saveDraft(admin79Viewer, 'bieu-thu', smallForm()), () => newVersion(admin79Viewer, 'ho-so-pham-vi'), () => publishForm(admin79Viewer, 'bieu-thu'), () => importDefinition(admin79Viewer, other)]) {
    const err = await fn().catch((e) => e);
    t.is(err.status, 403);
    t.is(err.code, 'errors.outOfScope');
  }
  // Nothing was created by the refused calls; the system-wide designer still publishes.
  t.is((await call(app.server, designer, 'GET', '/api/forms/bieu-tinh')).statusCode, 404);
  t.is((await call(app.server, designer, 'POST', '/api/forms/bieu-thu/publish')).statusCode, 200);
});

test.serial('an officer reads and writes only submissions of units in their scope, files included', async (t) => {
  const form = await getPublished('ho-so-pham-vi');
  await saveSubmissionWithFiles(officerHn, form, hanoi, 'hs-1', { nguoiNop: 'An' }, { giayTo: { name: 'don.pdf', type: 'application/pdf', data: pdf } });
  t.is((await getSubmission(officerHn, form, hanoi, 'hs-1')).values.nguoiNop, 'An');
  t.is((await getSubmissionFile(officerHn, form, hanoi, 'hs-1', 'giayTo')).bytes.toString(), pdf.toString());
  const refused = [
    () => getSubmission(officerHcm, form, hanoi, 'hs-1'),
    () => getSubmissionFile(officerHcm, form, hanoi, 'hs-1', 'giayTo'),
    () => getPreviousValues(officerHcm, form, hanoi, '2025-02'),
    () => saveSubmission(officerHcm, form, hanoi, 'hs-2', { nguoiNop: 'B' }),
    () => saveSubmissionWithFiles(officerHcm, form, hanoi, 'hs-2', {}, { giayTo: { name: 'b.pdf', type: 'application/pdf', data: pdf } }),
    () => uploadSubmission(officerHcm, form, hanoi, 'hs-2', Buffer.from('PK')),
    () => getSubmission(officerHn, form, 0, 'hs-1'),
  ];
  for (const fn of refused) {
    const err = await fn().catch((e) => e);
    t.is(err.status, 403);
  }
  t.is((await getSubmission(null, form, hanoi, 'hs-2')).status, 'new');
});

test.serial('an admin scoped to a province reaches the submissions of its subtree only', async (t) => {
  const form = await getPublished('ho-so-pham-vi');
  t.is((await saveSubmission(admin79Viewer, form, hcmChild, 'hs-3', { nguoiNop: 'C' })).submission.status, 'draft');
  t.is((await saveSubmission(officerHcm, form, hcm, 'hs-3', { nguoiNop: 'D' })).submission.status, 'draft');
  t.is((await getSubmission(admin79Viewer, form, hcm, 'hs-3')).values.nguoiNop, 'D');
  t.is((await saveSubmission(admin79Viewer, form, hanoi, 'hs-3', { nguoiNop: 'E' }).catch((e) => e)).status, 403);
  t.is((await getSubmission(admin79Viewer, form, hanoi, 'hs-1').catch((e) => e)).status, 403);
  t.is((await getSubmissionFile(admin79Viewer, form, hanoi, 'hs-1', 'giayTo').catch((e) => e)).status, 403);
});
