// A dossier handled in a real browser: the commune's one-stop officer (on a phone) asks for a missing
// document, the citizen adds it and resubmits, the officer receives it and transfers it with a reason,
// the colleague sends it to the leader, the leader approves, the result is issued and handed back —
// each step checked by the status words and history lines the pages show.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Page } from 'playwright-core';
import { startBrowserApp, loginAs, type BrowserApp } from '../helpers/browser.ts';
import { makeUser } from '../helpers/server.ts';
import { setupCa } from '../helpers/signing.ts';
import { receivedDossier } from '../helpers/dossier-handling.ts';
import { loadViewer } from '../../src/auth/service.ts';
import { issueUserCertificate } from '../../src/signing/service.ts';
import { seedProcedures } from '../../src/catalog/service.ts';
import { deployShippedProcesses } from '../../src/engine/service.ts';
import type { Dossier } from '../../src/dossiers/models.ts';

let b: BrowserApp;
let dossier: Dossier;
let pdfFile: string;

test.before(async () => {
  b = await startBrowserApp();
  await seedProcedures();
  await deployShippedProcesses();
  await setupCa();
  await makeUser('officer', '00004', { username: 'canbo.xa', fullName: 'Đỗ Thị Cán Bộ Xã' });
  await makeUser('officer', '00004', { username: 'chuyenvien.xa', fullName: 'Trần Văn Chuyên Viên' });
  await makeUser('leader', '00004', { username: 'lanhdao.xa', fullName: 'Vũ Văn Lãnh Đạo Xã' });
  const citizen = await loadViewer(await makeUser('citizen', null, { username: 'congdan.b', fullName: 'Hoàng Văn Công Dân' }));
  await issueUserCertificate('canbo.xa', null);
  // Đăng ký thành lập hộ kinh doanh, 03 working days, at Phường Ba Đình.
  dossier = await receivedDossier(citizen, '1.001612', { values: { tenHoKinhDoanh: 'Tạp hoá Hoàng Gia', diaChi: '12 Phố Đội Cấn' } });
  pdfFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gf-dh-')), 'ban-sao-cccd.pdf');
  fs.writeFileSync(pdfFile, '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
});
test.after.always(async () => {
  await b?.close();
});

const statusOf = async (page: Page) => ((await page.getByTestId('dossier-status').textContent()) ?? '').trim();
const historyOf = async (page: Page) => ((await page.getByTestId('dossier-history').textContent()) ?? '').replace(/\s+/g, ' ');
const doneOf = async (page: Page) => ((await page.getByTestId('dossier-done').textContent()) ?? '').trim();
const noSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

test.serial('officer asks for a document, citizen adds it, officer receives and transfers, leader approves, result issued and returned', async (t) => {
  const url = `/officer/dossiers/${dossier.id}`;
  // Given the one-stop officer on a phone, with the new dossier in the inbox
  const officer = await b.newPage({ phone: true });
  await loginAs(officer, 'canbo.xa');
  await officer.getByRole('link', { name: 'Hồ sơ một cửa' }).first().click();
  const row = officer.locator(`tr[data-code="${dossier.code}"]`);
  t.regex((await row.textContent()) ?? '', /Tiếp nhận, kiểm tra hồ sơ/);
  t.regex((await row.textContent()) ?? '', /Còn|Sắp đến hạn/);
  t.true(await noSideways(officer), 'inbox: no sideways scrolling at 360 px');
  await row.getByRole('link', { name: dossier.code! }).click();
  t.is(await statusOf(officer), 'Tiếp nhận, kiểm tra hồ sơ');
  t.regex((await officer.getByTestId('dossier-values').textContent()) ?? '', /Tạp hoá Hoàng Gia/);
  t.true(await noSideways(officer), 'dossier page: no sideways scrolling at 360 px');

  // When they ask for the missing document
  await officer.locator('#supplement-missing').fill('Bản sao căn cước của chủ hộ');
  await officer.locator('#supplement-reason').fill('Bản đã nộp bị mờ');
  await officer.getByRole('button', { name: 'Yêu cầu bổ sung', exact: true }).click();
  t.regex(await doneOf(officer), /Đã gửi yêu cầu bổ sung/);
  t.is(await statusOf(officer), 'Chờ công dân bổ sung');
  t.regex(await historyOf(officer), /Yêu cầu bổ sung hồ sơ — Đỗ Thị Cán Bộ Xã/);
  t.regex(await historyOf(officer), /Dừng tính thời gian/);

  // Then the citizen sees what is missing, adds it and resubmits
  const citizen = await b.newPage();
  await loginAs(citizen, 'congdan.b');
  await citizen.goto(`/dossiers/${dossier.id}/supplement`);
  t.regex((await citizen.getByTestId('supplement-missing').textContent()) ?? '', /Bản sao căn cước của chủ hộ/);
  t.is(((await citizen.getByTestId('supplement-status').textContent()) ?? '').trim(), 'Chờ công dân bổ sung');
  await citizen.getByLabel('Tệp bổ sung').setInputFiles(pdfFile);
  await citizen.getByLabel('Ghi chú gửi cán bộ').fill('Đã chụp lại bản rõ nét');
  await citizen.getByRole('button', { name: 'Nộp bổ sung' }).click();
  t.regex(((await citizen.getByTestId('supplement-done').textContent()) ?? ''), /Đã nộp bổ sung/);
  t.is(((await citizen.getByTestId('supplement-status').textContent()) ?? '').trim(), 'Tiếp nhận, kiểm tra hồ sơ');

  // And the officer sees the resubmission and the new file, receives the dossier and transfers it
  await officer.goto(url);
  t.is(await statusOf(officer), 'Tiếp nhận, kiểm tra hồ sơ');
  t.regex(await historyOf(officer), /Công dân nộp bổ sung — Hoàng Văn Công Dân/);
  t.regex(await historyOf(officer), /Tính thời gian lại: tạm dừng 0 ngày làm việc/);
  t.regex((await officer.getByTestId('dossier-files').textContent()) ?? '', /ban-sao-cccd\.pdf/);
  await officer.getByRole('button', { name: 'Tiếp nhận hồ sơ', exact: true }).click();
  t.regex(await doneOf(officer), /Đã tiếp nhận hồ sơ/);
  t.is(await statusOf(officer), 'Đang xử lý');
  await officer.locator('#transfer-officer').fill('chuyenvien.xa');
  await officer.locator('#transfer-reason').fill('Chuyên viên phụ trách đăng ký kinh doanh');
  await officer.getByRole('button', { name: 'Chuyển xử lý', exact: true }).click();
  t.regex(await doneOf(officer), /Đã chuyển xử lý/);
  t.regex(await historyOf(officer), /Chuyển xử lý cho chuyenvien\.xa — Đỗ Thị Cán Bộ Xã, .* Lý do: Chuyên viên phụ trách đăng ký kinh doanh/);
  t.regex((await officer.getByTestId('dossier-actions').textContent()) ?? '', /Bước hiện tại không do anh\/chị xử lý/);

  // The colleague sends it to the leader
  const colleague = await b.newPage();
  await loginAs(colleague, 'chuyenvien.xa');
  await colleague.goto(url);
  await colleague.locator('#submit-reason').fill('Đủ điều kiện, đề nghị cấp giấy chứng nhận');
  await colleague.getByRole('button', { name: 'Trình lãnh đạo', exact: true }).click();
  t.is(await statusOf(colleague), 'Chờ lãnh đạo phê duyệt');

  // The leader approves
  const leader = await b.newPage();
  await loginAs(leader, 'lanhdao.xa');
  await leader.goto(url);
  t.is(await statusOf(leader), 'Chờ lãnh đạo phê duyệt');
  await leader.getByRole('button', { name: 'Phê duyệt', exact: true }).click();
  t.regex(await doneOf(leader), /Đã phê duyệt hồ sơ/);
  t.is(await statusOf(leader), 'Đã phê duyệt');
  t.regex(await historyOf(leader), /Lãnh đạo phê duyệt — Vũ Văn Lãnh Đạo Xã/);

  // The officer issues the result and hands it back at the counter
  await officer.goto(url);
  await officer.getByRole('button', { name: 'Ban hành kết quả', exact: true }).click();
  t.regex(await doneOf(officer), /Đã ban hành kết quả/);
  t.regex((await officer.getByTestId('dossier-files').textContent()) ?? '', /ket-qua-.*\.pdf \(kết quả\)/);
  await officer.getByLabel('Hình thức trả kết quả').selectOption('counter');
  await officer.getByRole('button', { name: 'Trả kết quả', exact: true }).click();
  t.regex(await doneOf(officer), /Hồ sơ hoàn thành/);
  t.is(await statusOf(officer), 'Đã trả kết quả');
  const history = await historyOf(officer);
  t.regex(history, /Ban hành kết quả — Đỗ Thị Cán Bộ Xã/);
  t.regex(history, /Trả kết quả tại quầy — Đỗ Thị Cán Bộ Xã/);

  for (const p of [officer, citizen, colleague, leader]) await p.context().close();
});
