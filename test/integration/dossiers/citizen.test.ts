// The citizen's side of dossiers on a real database: drafts, attachments and once-only reuse, submission with the
// Circular 01/2018 code and due date, bad input refused with nothing written, and other people kept out.
import test from 'ava';
import { startApp, makeUser, login, call, type Session, type TestApp } from '../../helpers/server.ts';
import { seedProcedures } from '../../../src/catalog/service.ts';
import { CitizenDocument, Dossier, DossierEvent, DossierFile } from '../../../src/dossiers/models.ts';
import { NotifyMessage } from '../../../src/notify/models.ts';
import { DOSSIER_CODE_RE } from '../../../src/dossiers/core.ts';
import { documentSlots, submitDossier } from '../../../src/dossiers/service.ts';
import { loadViewerByUsername } from '../../../src/auth/service.ts';

let app: TestApp;
let alice: Session;
let aliceName = '';
let bob: Session;
let officer01: Session;
let officer79: Session;

const KHAI_SINH = '1.001193';
const SLOT = 'giay-chung-sinh-hoac-giay-to-thay-the-giay-chung-sinh';
const VALUES = {
  hoTenNguoiYeuCau: 'Nguyễn Thị Mai', soDinhDanh: '001190012345', dienThoai: '0912345678', hoTen: 'Nguyễn Minh An', ngaySinh: '2026-11-20',
  gioiTinh: 'nam', noiSinh: 'Bệnh viện Phụ sản Hà Nội', danToc: 'Kinh', quocTich: 'Việt Nam',
};
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const pdfFile = (name = 'giay-chung-sinh.pdf', data = PDF) => ({ slot: SLOT, name, type: 'application/pdf', base64: data.toString('base64') });

test.before(async () => {
  app = await startApp();
  await seedProcedures();
  const a = await makeUser('citizen', null, { fullName: 'Nguyễn Thị Mai' });
  aliceName = a.username;
  alice = await login(app.server, a.username);
  bob = await login(app.server, (await makeUser('citizen')).username);
  officer01 = await login(app.server, (await makeUser('officer', '01')).username);
  officer79 = await login(app.server, (await makeUser('officer', '79')).username);
});

test.after.always(async () => {
  await app?.close();
});

const counts = async () => ({ dossiers: await Dossier.count(), files: await DossierFile.count(), docs: await CitizenDocument.count(), events: await DossierEvent.count() });

test.serial('the document slots of a procedure say which papers are required', (t) => {
  const slots = documentSlots('Tờ khai đăng ký khai sinh theo mẫu | Giấy chứng sinh hoặc giấy tờ thay thế Giấy chứng sinh | Giấy tờ tùy thân của người đi đăng ký khai sinh (xuất trình)');
  t.deepEqual(slots.map((s) => [s.id, s.isForm, s.isRequired, s.isPresented]), [
    ['to-khai-dang-ky-khai-sinh-theo-mau', true, false, false],
    [SLOT, false, true, false],
    ['giay-to-tuy-than-cua-nguoi-di-dang-ky-khai-sinh', false, false, true],
  ]);
  t.false(documentSlots('Ý kiến đồng ý của chủ hộ (khi đăng ký vào chỗ ở không thuộc sở hữu của mình)')[0].isRequired);
});

test.serial('a citizen submits a birth registration with a file and gets a code, a due date, a history entry and a notification', async (t) => {
  const res = await call(app.server, alice, 'POST', '/api/dossiers', { procedure: KHAI_SINH, orgCode: '00004', values: VALUES, files: [pdfFile()], submit: true });
  t.is(res.statusCode, 201, res.payload);
  const body = JSON.parse(res.payload) as { id: number; code: string; due: string };
  t.regex(body.code, DOSSIER_CODE_RE);
  t.regex(body.code, /^000\.00\.00\.X00-\d{6}-\d{4}$/);
  t.regex(body.due, /\+07:00$/);
  const d = await Dossier.findByPk(body.id);
  t.like(d?.get({ plain: true }), { status: 'submitted', stage: 'receive', channel: 'online', orgCode: '00004', procedureCode: KHAI_SINH, code: body.code });
  const files = await DossierFile.findAll({ where: { dossierId: body.id } });
  t.deepEqual(files.map((f) => [f.docType, f.name, f.mime]), [[SLOT, 'giay-chung-sinh.pdf', 'application/pdf']]);
  t.truthy(files[0].documentId, 'the new file is kept in the citizen\'s store');
  const kinds = (await DossierEvent.findAll({ where: { dossierId: body.id }, order: [['id', 'ASC']] })).map((e) => e.kind);
  t.deepEqual(kinds, ['created', 'submitted']);
  const msgs = await NotifyMessage.findAll({ where: { reference: `dossier:${body.id}` } });
  t.true(msgs.length >= 1);
  t.true(msgs.every((m) => m.event === 'dossier-received'));
  const list = JSON.parse((await call(app.server, alice, 'GET', '/api/dossiers')).payload) as { items: Array<{ id: number; code: string }> };
  t.true(list.items.some((i) => i.id === body.id && i.code === body.code));
});

test.serial('a draft saved on the page offers the file given before, and submitting with it reuses the stored document', async (t) => {
  // A new draft through the page: pick the unit, then save and submit.
  let res = await call(app.server, alice, 'GET', `/dossiers/new?procedure=${KHAI_SINH}&q=ba%20dinh`);
  t.is(res.statusCode, 200);
  t.regex(res.payload, /Phường Ba Đình/);
  res = await call(app.server, alice, 'POST', '/dossiers/new', { procedure: KHAI_SINH, orgCode: '00004' });
  t.is(res.statusCode, 302, res.payload);
  const editUrl = String(res.headers.location);
  const id = Number(/\/dossiers\/(\d+)\/edit/.exec(editUrl)?.[1]);
  res = await call(app.server, alice, 'GET', editUrl);
  t.is(res.statusCode, 200);
  const doc = await CitizenDocument.findOne({ where: { docType: SLOT } });
  t.truthy(doc);
  t.regex(res.payload, new RegExp(`name="reuse.${SLOT}" value="${doc!.id}"`), 'the stored birth certificate is offered');
  const before = await CitizenDocument.count();
  const viewer = (await loadViewerByUsername(aliceName))!.viewer;
  const { saveDraft } = await import('../../../src/dossiers/service.ts');
  await saveDraft(viewer, id, { values: VALUES, reuse: { [SLOT]: doc!.id } });
  t.is(await CitizenDocument.count(), before, 'reuse adds nothing to the store');
  const r = await submitDossier(viewer, id);
  t.regex(r.code, DOSSIER_CODE_RE);
  t.is(Number(r.code.slice(-4)), 2, 'the second dossier of the unit that day');
  const f = await DossierFile.findOne({ where: { dossierId: id } });
  t.is(f?.documentId, doc!.id);
  // The confirmation page shows the code and the due date.
  res = await call(app.server, alice, 'GET', `/dossiers/${id}/submitted`);
  t.is(res.statusCode, 200);
  t.true(res.payload.includes(r.code));
  t.regex(res.payload, /Ngày hẹn trả kết quả: \d{2}\/\d{2}\/\d{4} \d{2}:\d{2}/);
  res = await call(app.server, alice, 'GET', `/dossiers/${id}/receipt.pdf`);
  t.is(res.statusCode, 200);
  t.is(res.headers['content-type'], 'application/pdf');
  t.true(res.rawPayload.subarray(0, 5).equals(Buffer.from('%PDF-')));
  // A submitted dossier cannot be changed or submitted again.
  res = await call(app.server, alice, 'POST', `/dossiers/${id}/submit`, {});
  t.is(res.statusCode, 409);
});

test.serial('an unknown procedure, a missing required field, a missing document, a wrong type or a file too large is refused and nothing is written', async (t) => {
  const start = await counts();
  const cases: Array<[unknown, number, RegExp]> = [
    [{ procedure: '9.999999', orgCode: '00004', values: VALUES, submit: true }, 422, /Không có thủ tục mã "9\.999999"/],
    [{ procedure: KHAI_SINH, orgCode: '00004', values: { ...VALUES, hoTen: '' }, files: [pdfFile()], submit: true }, 422, /cần sửa/],
    [{ procedure: KHAI_SINH, orgCode: '00004', values: VALUES, submit: true }, 422, /cần sửa/],
    [{ procedure: KHAI_SINH, orgCode: '00004', values: VALUES, files: [pdfFile('anh.gif', Buffer.from('GIF89a'))], submit: true }, 400, /không đúng loại/],
    [{ procedure: KHAI_SINH, orgCode: '00004', values: VALUES, files: [pdfFile('to.pdf', Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024)]))], submit: true }, 413, /vượt quá dung lượng/],
    [{ procedure: KHAI_SINH, orgCode: '79', values: VALUES, files: [pdfFile()], submit: true }, 422, /không tiếp nhận hồ sơ của thủ tục này/],
    [{ procedure: KHAI_SINH, orgCode: '00004', values: { ...VALUES, khongCo: 'x' }, files: [pdfFile()], submit: true }, 400, /khongCo/],
    [{ procedure: KHAI_SINH, orgCode: '00004', values: VALUES, files: [pdfFile('to.pdf', Buffer.from('not a pdf at all'))], submit: false }, 400, /./],
  ];
  for (const [payload, status, message] of cases) {
    const res = await call(app.server, alice, 'POST', '/api/dossiers', payload);
    t.is(res.statusCode, status, res.payload);
    t.regex((JSON.parse(res.payload) as { message: string }).message, message);
  }
  const missing = JSON.parse((await call(app.server, alice, 'POST', '/api/dossiers', { procedure: KHAI_SINH, orgCode: '00004', values: VALUES, submit: true })).payload) as { details: Array<{ code: string; params: { name: string } }> };
  t.deepEqual(missing.details.map((d) => d.code), ['dossiers.citizen.missingDocument']);
  t.deepEqual(await counts(), start);
});

test.serial('another citizen and an officer of another province get 404; an officer over the unit sees the receipt', async (t) => {
  const res = await call(app.server, alice, 'POST', '/api/dossiers', { procedure: KHAI_SINH, orgCode: '00004', values: VALUES, files: [pdfFile()], submit: false });
  t.is(res.statusCode, 201, res.payload);
  const { id } = JSON.parse(res.payload) as { id: number };
  for (const url of [`/dossiers/${id}/edit`, `/dossiers/${id}/submitted`]) t.is((await call(app.server, bob, 'GET', url)).statusCode, 404, url);
  t.is((await call(app.server, bob, 'POST', `/dossiers/${id}/submit`, {})).statusCode, 404);
  const file = await DossierFile.findOne({ where: { dossierId: id } });
  t.is((await call(app.server, bob, 'GET', `/dossiers/${id}/files/${file!.id}`)).statusCode, 404);
  t.is((await call(app.server, officer79, 'GET', `/dossiers/${id}/files/${file!.id}`)).statusCode, 404);
  t.is((await call(app.server, officer01, 'GET', `/dossiers/${id}/files/${file!.id}`)).statusCode, 200);
  // Bob's list does not show it.
  const list = JSON.parse((await call(app.server, bob, 'GET', '/api/dossiers')).payload) as { total: number };
  t.is(list.total, 0);
  // Once submitted the province's officer prints the receipt, the other province's does not learn it exists.
  await submitDossier((await loadViewerByUsername(aliceName))!.viewer, id);
  t.is((await call(app.server, officer01, 'GET', `/dossiers/${id}/receipt.pdf`)).statusCode, 200);
  t.is((await call(app.server, officer79, 'GET', `/dossiers/${id}/receipt.pdf`)).statusCode, 404);
  t.is((await call(app.server, bob, 'GET', `/dossiers/${id}/receipt.pdf`)).statusCode, 404);
});

test.serial('the day in the code is the Vietnam day: 16:59:59Z is still one day, 17:00:00Z the next, each with its own sequence', async (t) => {
  const viewer = (await loadViewerByUsername(aliceName))!.viewer;
  const { createDraft, saveDraft } = await import('../../../src/dossiers/service.ts');
  const make = async () => {
    const d = await createDraft(viewer, { procedure: KHAI_SINH, orgCode: '00004', values: VALUES });
    await saveDraft(viewer, d.id, { files: { [SLOT]: { name: 'gcs.pdf', type: 'application/pdf', data: PDF } } });
    return d.id;
  };
  const late = await submitDossier(viewer, await make(), { at: new Date('2026-03-09T16:59:59Z') });
  const next = await submitDossier(viewer, await make(), { at: new Date('2026-03-09T17:00:00Z') });
  const next2 = await submitDossier(viewer, await make(), { at: new Date('2026-03-09T17:00:01Z') });
  t.is(late.code, '000.00.00.X00-260309-0001');
  t.is(next.code, '000.00.00.X00-260310-0001');
  t.is(next2.code, '000.00.00.X00-260310-0002');
});
