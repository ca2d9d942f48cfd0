import test from 'ava';
import { maskPersonalData, MASK, lastFourDigits } from '../../../src/feedback/masking.ts';

test('hides phone numbers in the ways Vietnamese people write them', (t) => {
  const text = 'Xin liên hệ số 0912345678, 0912 345 678, 0912.345.678, +84 912 345 678 hoặc máy bàn 024 3825 1234.';
  const out = maskPersonalData(text);
  t.false(/\d{3}/.test(out.replace(/024 3825/, '')), out);
  t.is(out.split(MASK).length - 1, 5);
  t.true(out.startsWith('Xin liên hệ số ***, ***'));
});

test('hides CCCD (12 digits) and CMND (9 digits) numbers, also in groups', (t) => {
  const out = maskPersonalData('Tôi có CCCD số 001099012345 (cấp ngày 12/05/2021), CMND cũ 012345678; số 001 099 012 345.');
  t.is(out, 'Tôi có CCCD số *** (cấp ngày 12/05/2021), CMND cũ ***; số ***.');
});

test('hides e-mail addresses, also with Vietnamese letters before the @', (t) => {
  t.is(maskPersonalData('Gửi về nguyen.van.an@gmail.com hoặc an_nv@hanoi.gov.vn giúp tôi.'), 'Gửi về *** hoặc *** giúp tôi.');
});

test('hides the submitter name and its given name in any letter case, keeping dates and amounts', (t) => {
  const text = 'Tôi là Nguyễn Văn An, ở phường Ba Đình. NGUYỄN VĂN AN đã nộp 1.500.000 đồng ngày 03/11/2025; Văn An chờ 15 ngày.';
  const out = maskPersonalData(text, ['Nguyễn Văn An']);
  t.is(out, 'Tôi là ***, ở phường Ba Đình. *** đã nộp 1.500.000 đồng ngày 03/11/2025; *** chờ 15 ngày.');
});

test('hides names after a form of address but leaves place names and offices', (t) => {
  const text = 'Hộ ông Trần Văn Bình lấn chiếm vỉa hè, bà Lê Thị Hoa đã báo Ủy ban. Chị tôi ở Bà Rịa - Vũng Tàu, anh Phường Ba Đình thì không phải tên.';
  const out = maskPersonalData(text);
  t.true(out.includes('Hộ ông *** lấn chiếm'));
  t.true(out.includes('bà *** đã báo'));
  t.true(out.includes('Bà Rịa - Vũng Tàu'));
  t.true(out.includes('anh Phường Ba Đình'));
  t.false(out.includes('Bình'));
  t.false(out.includes('Hoa'));
});

test('leaves text without personal data as it was (NFC)', (t) => {
  const text = 'Đường Giải Phóng đoạn qua phường Phương Liệt bị ngập sau mưa, đề nghị nạo vét cống thoát nước.';
  t.is(maskPersonalData(text.normalize('NFD')), text.normalize('NFC'));
});

test('takes the last four digits of a phone number', (t) => {
  t.is(lastFourDigits('0912 345 678'), '5678');
  t.is(lastFourDigits('+84-912-345-678'), '5678');
  t.is(lastFourDigits('12'), null);
  t.is(lastFourDigits(null), null);
});
