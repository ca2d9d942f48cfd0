// The catalog on a real database: import (CLI, idempotent, all or nothing), search as a Vietnamese user types,
// filters with counts, the API, the pages and the staff FAQ.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startApp, makeUser, login, call, repoRoot, type TestApp } from '../../helpers/server.ts';
import { govflowCli } from '../../helpers/cli.ts';
import { Procedure, ProcedureFaq } from '../../../src/catalog/models.ts';
import { AuditEntry } from '../../../src/audit/models.ts';
import { seedProcedures } from '../../../src/catalog/service.ts';
import { db } from '../../../src/store/index.ts';

let app: TestApp;
let tmp: string;

test.before(async () => {
  app = await startApp({ orgs: false });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'govflow-catalog-'));
});

test.after.always(async () => {
  await app?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

async function api(url: string) {
  const res = await app.server.inject(url);
  return { status: res.statusCode, body: JSON.parse(res.payload) };
}

test.serial('import procedures reads the shipped file, and a second run changes nothing', async (t) => {
  const file = path.join(repoRoot, 'seed/procedures-bqp.csv');
  let r = await govflowCli(app.db, ['import', 'procedures', file]);
  t.is(r.code, 0, r.stderr);
  t.regex(r.stdout, /imported 207 procedures: 207 created, 0 updated, 0 unchanged/);
  r = await govflowCli(app.db, ['import', 'procedures', file]);
  t.regex(r.stdout, /imported 207 procedures: 0 created, 0 updated, 207 unchanged/);
  const p = await Procedure.findOne({ where: { code: '1.013124' } });
  t.like(p?.get({ plain: true }), { processingAmount: 30, processingUnit: 'workday', feeMin: 0, level: 'Cấp Bộ', ministryCode: 'G11' });
});

test.serial('a bad file is rejected whole with every bad line number, and nothing is written', async (t) => {
  const bad = path.join(tmp, 'bad.csv');
  fs.writeFileSync(bad, 'code,name,agency,field,implementation_level\n9.999991,Thủ tục tốt,UBND,Hộ tịch,Cấp Xã\nX,Thủ tục sai,UBND,Hộ tịch,Cấp Xã\n9.999993,,UBND,Hộ tịch,Cấp Xã\n');
  const before = await Procedure.count();
  const r = await govflowCli(app.db, ['import', 'procedures', bad]);
  t.is(r.code, 1);
  t.regex(r.stderr, /2 bad lines \(lines 3, 4\)/);
  t.regex(r.stderr, /code "X"/);
  t.is(await Procedure.count(), before);
  t.is(await Procedure.findOne({ where: { code: '9.999991' } }), null);
});

test.serial('seed imports the common procedures with their forms; search finds them without diacritics', async (t) => {
  await seedProcedures();
  const { body } = await api('/api/procedures?q=dang%20ky%20khai%20sinh');
  t.is(body.items[0].code, '1.001193');
  t.is(body.items[0].name, 'Đăng ký khai sinh');
  t.like(body.items[0].processing, { amount: 0.5, unit: 'workday' });
});

test.serial('đ and d are the same letter, and a word may be cut short', async (t) => {
  const a = (await api('/api/procedures?q=%C4%91%C4%83ng%20k%C3%BD%20th%C6%B0%E1%BB%9Dng%20tr%C3%BA')).body; // đăng ký thường trú
  const b = (await api('/api/procedures?q=dang%20ky%20thuong%20tr')).body;
  t.is(a.items[0].code, '1.004222');
  t.is(b.items[0].code, '1.004222');
  const partial = (await api('/api/procedures?q=k%E1%BA%BFt%20h')).body; // kết h
  t.is(partial.items[0].code, '1.000894');
  const dan = (await api('/api/procedures?q=dan%20quan%20tu%20ve')).body;
  t.true(dan.total > 0);
  t.true(dan.items.slice(0, 3).every((i: { name: string }) => /Dân quân tự vệ/i.test(i.name)), JSON.stringify(dan.items.map((i: { name: string }) => i.name)));
});

test.serial('a word in the name ranks above the same word elsewhere', async (t) => {
  const { body } = await api('/api/procedures?q=khai%20tu');
  t.is(body.items[0].code, '1.000656');
});

test.serial('filters narrow the results and each facet counts with the other filters applied', async (t) => {
  const all = (await api('/api/procedures')).body;
  t.is(all.total, 213);
  const xa = all.facets.level.find((f: { value: string }) => f.value === 'Cấp Xã');
  const byLevel = (await api(`/api/procedures?level=${encodeURIComponent('Cấp Xã')}`)).body;
  t.is(byLevel.total, xa.count);
  t.true(byLevel.items.every((i: { levels: string[] }) => i.levels.includes('Cấp Xã')));
  // The level facet still lists the other levels (it ignores its own filter); the field facet counts within Cấp Xã.
  t.true(byLevel.facets.level.length > 1);
  t.is(byLevel.facets.field.reduce((n: number, f: { count: number }) => n + f.count, 0), byLevel.total);
  const hoTich = (await api(`/api/procedures?level=${encodeURIComponent('Cấp Xã')}&field=${encodeURIComponent('Hộ tịch')}&online=full`)).body;
  t.deepEqual(hoTich.items.map((i: { code: string }) => i.code).sort(), ['1.000656', '1.001193']);
  const agency = (await api(`/api/procedures?agency=${encodeURIComponent('Công an cấp xã')}`)).body;
  t.deepEqual(agency.items.map((i: { code: string }) => i.code), ['1.004222']);
});

test.serial('results are paged by 20', async (t) => {
  const p1 = (await api('/api/procedures?page=1')).body;
  const p11 = (await api('/api/procedures?page=11')).body;
  t.is(p1.items.length, 20);
  t.is(p11.items.length, 13);
  t.is(p1.pageSize, 20);
  t.is((await api('/api/procedures?page=0')).status, 400);
});

test.serial('a change written by another node is seen at the next search (the version row moved)', async (t) => {
  await api('/api/procedures?q=khai%20sinh');
  // Another node's import: new row and a bumped version, without this process's service.
  const now = new Date();
  await db().getQueryInterface().bulkInsert('procedures', [{ code: '1.999999', name: 'Thủ tục thử nghiệm Zyxwvu', agency: 'Ủy ban nhân dân cấp xã', field: 'Thử nghiệm', level: 'Cấp Xã', created_at: now, updated_at: now }]);
  let r = (await api('/api/procedures?q=zyxwvu')).body;
  t.is(r.total, 0, 'the version did not change, so the index is the old one');
  await db().query('UPDATE catalog_state SET version = version + 1 WHERE id = 1');
  r = (await api('/api/procedures?q=zyxwvu')).body;
  t.deepEqual(r.items.map((i: { code: string }) => i.code), ['1.999999']);
  await Procedure.destroy({ where: { code: '1.999999' } });
  await db().query('UPDATE catalog_state SET version = version + 1 WHERE id = 1');
});

test.serial('the procedure page shows documents, fees, time, where, result and legal basis, and a start link', async (t) => {
  const res = await app.server.inject('/thu-tuc/1.004222');
  t.is(res.statusCode, 200);
  for (const text of ['Đăng ký thường trú', '7 ngày làm việc', '10.000 – 20.000 đồng', 'Công an cấp xã', 'Tờ khai thay đổi thông tin cư trú (mẫu CT01)', 'Luật Cư trú số 68/2020/QH14', 'Cập nhật thông tin về nơi thường trú']) t.true(res.payload.includes(text), text);
  t.regex(res.payload, /href="\/dossiers\/new\?procedure=1\.004222"/);
  const bqp = await app.server.inject('/thu-tuc/1.013124');
  t.false(bqp.payload.includes('/dossiers/new'), 'no form, no online start');
  t.is((await app.server.inject('/thu-tuc/9.999999')).statusCode, 404);
  const json = (await api('/api/procedures/1.001193')).body;
  t.like(json, { code: '1.001193', onlineLevel: 'full', formKey: 'dang-ky-khai-sinh', startUrl: '/dossiers/new?procedure=1.001193' });
  t.is(json.documents.length, 3);
});

test.serial('staff write FAQ answers on the procedure page; the question box suggests them for a sentence', async (t) => {
  const designer = await makeUser('designer');
  const s = await login(app.server, designer.username);
  let res = await call(app.server, s, 'POST', '/thu-tuc/1.001193/faq', { question: 'Quá hạn 60 ngày mới đi khai sinh có bị phạt không?', answer: 'Việc đăng ký khai sinh quá hạn vẫn được thực hiện tại Ủy ban nhân dân cấp xã.' });
  t.is(res.statusCode, 302);
  const faq = await ProcedureFaq.findOne({ where: { procedureCode: '1.001193' } });
  t.is(faq?.updatedBy, designer.username);
  res = await call(app.server, s, 'POST', '/thu-tuc/1.001193/faq', { question: '', answer: 'x' });
  t.is(res.statusCode, 400);
  t.regex(res.payload, /Hãy nhập câu hỏi/);
  const page = await app.server.inject('/thu-tuc/1.001193');
  t.true(page.payload.includes('Quá hạn 60 ngày mới đi khai sinh có bị phạt không?'));
  const ask = await app.server.inject(`/thu-tuc?q=${encodeURIComponent('toi di khai sinh qua han thi sao')}`);
  t.regex(ask.payload, /data-testid="faq-answers"/);
  t.true(ask.payload.includes('Việc đăng ký khai sinh quá hạn vẫn được thực hiện'));
  const suggest = (await api(`/api/procedures/suggest?q=${encodeURIComponent('Tôi muốn đăng ký kết hôn')}`)).body;
  t.is(suggest.procedures[0].code, '1.000894');
  res = await call(app.server, s, 'POST', `/thu-tuc/1.001193/faq/${faq!.id}/delete`, {});
  t.is(res.statusCode, 302);
  t.is(await ProcedureFaq.count({ where: { procedureCode: '1.001193' } }), 0);
  t.deepEqual((await AuditEntry.findAll({ where: { targetType: 'procedure' }, order: [['seq', 'ASC']] })).map((e) => e.action), ['catalog.faqAdd', 'catalog.faqRemove']);
  const citizen = await makeUser('citizen');
  const cs = await login(app.server, citizen.username);
  t.is((await call(app.server, cs, 'POST', '/thu-tuc/1.001193/faq', { question: 'a', answer: 'b' })).statusCode, 403);
});
