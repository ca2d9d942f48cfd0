// Reading the published texts of procedures and checking procedure files, without a database.
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';
import { fold, parseFee, parseOnlineLevel, parseProcessingTime } from '../../../src/catalog/parse.ts';
import { readProcedureFile } from '../../../src/catalog/import.ts';
import { repoRoot } from '../../helpers/server.ts';

test('time limits in working days, calendar days and hours are read; other texts are kept as they are', (t) => {
  t.deepEqual(parseProcessingTime('30 Ngày làm việc'), { amount: 30, unit: 'workday', text: '30 Ngày làm việc' });
  t.deepEqual(parseProcessingTime('05 ngày làm việc'), { amount: 5, unit: 'workday', text: '05 ngày làm việc' });
  t.deepEqual(parseProcessingTime('60 Ngày'), { amount: 60, unit: 'day', text: '60 Ngày' });
  t.deepEqual(parseProcessingTime('01 Giờ'), { amount: 1, unit: 'hour', text: '01 Giờ' });
  t.deepEqual(parseProcessingTime('Trong ngày'), { amount: 0.5, unit: 'workday', text: 'Trong ngày' });
  t.is(parseProcessingTime('Ngay trong ngày tiếp nhận hồ sơ').amount, 0.5);
  t.deepEqual(parseProcessingTime('Không quy định'), { amount: null, unit: null, text: 'Không quy định' });
  t.deepEqual(parseProcessingTime('Chậm nhất là ngay trước khi tàu rời cảng'), { amount: null, unit: null, text: 'Chậm nhất là ngay trước khi tàu rời cảng' });
});

test('fees come from the fee_vnd column, else from the amounts in đồng in the text', (t) => {
  t.deepEqual(parseFee('Phí : 0 Đồng', '0'), { min: 0, max: 0, text: 'Phí : 0 Đồng' });
  t.like(parseFee('Phí : 2.000.000 Đồng (a) | Phí : 5.000.000 Đồng (b)', '2000000-5000000'), { min: 2000000, max: 5000000 });
  t.like(parseFee('Lệ phí : 20.000 Đồng (trực tiếp) | Lệ phí : 10.000 Đồng (trực tuyến)'), { min: 10000, max: 20000 });
  t.like(parseFee('Phí : Không Đồng'), { min: 0, max: 0 });
  t.like(parseFee('Lệ phí : 1.5 USD'), { min: null, max: null, text: 'Lệ phí : 1.5 USD' });
  t.like(parseFee(''), { min: null, max: null });
});

test('search text is folded: no diacritics, đ read as d, lower case', (t) => {
  t.is(fold('Đăng ký khai sinh'), 'dang ky khai sinh');
  t.is(fold('ĐỒNG ĐỘI đường'), 'dong doi duong');
  t.is(parseOnlineLevel('Toàn trình'), 'full');
  t.is(parseOnlineLevel(''), null);
  t.is(parseOnlineLevel('mức 4'), undefined);
});

test('the shipped files read without a problem: 207 procedures of the Ministry of National Defence and the common ones', (t) => {
  const bqp = readProcedureFile(fs.readFileSync(path.join(repoRoot, 'seed/procedures-bqp.csv')));
  t.is(bqp.length, 207);
  const common = readProcedureFile(fs.readFileSync(path.join(repoRoot, 'seed/procedures-common.csv')));
  t.true(common.length >= 6);
  const khaiSinh = common.find((r) => r.code === '1.001193')!;
  t.like(khaiSinh, { name: 'Đăng ký khai sinh', processingAmount: 0.5, processingUnit: 'workday', feeMin: 0, onlineLevel: 'full', formKey: 'dang-ky-khai-sinh' });
  t.like(common.find((r) => r.code === '1.004222')!, { processingAmount: 7, processingUnit: 'workday', feeMin: 10000, feeMax: 20000 });
});

test('a bad file is refused whole, naming every bad line', (t) => {
  const header = 'code,name,agency,field,implementation_level,online_level,fee_vnd';
  const csv = [header,
    '1.000001,Thủ tục một,UBND cấp xã,Hộ tịch,Cấp Xã,,0',
    'ABC,Thủ tục hai,UBND cấp xã,Hộ tịch,Cấp Xã,,',
    '1.000001,Thủ tục ba,UBND cấp xã,Hộ tịch,Cấp Xã,,',
    '1.000004,,UBND cấp xã,Hộ tịch,Cấp Xã,mức 4,abc',
    '1.000005,"Thủ tục',
    'năm có dòng mới",UBND cấp xã,Hộ tịch',
    '1.000006,Thủ tục sáu,UBND cấp xã,Hộ tịch,Cấp Xã,toàn trình,5000'].join('\n');
  const err = t.throws(() => readProcedureFile(csv)) as unknown as { code: string; status: number; details: Array<{ line: number; message: string }> };
  t.is(err.code, 'catalog.import.badLines');
  t.is(err.status, 422);
  t.deepEqual([...new Set(err.details.map((d) => d.line))], [3, 4, 5, 6]);
  t.true(err.details.some((d) => d.line === 4 && /already on line 2/.test(d.message)));
  t.true(err.details.some((d) => d.line === 5 && /online_level/.test(d.message)));
  t.true(err.details.some((d) => d.line === 5 && /fee_vnd/.test(d.message)));
  t.true(err.details.some((d) => d.line === 5 && /name is empty/.test(d.message)));
  const missing = t.throws(() => readProcedureFile('code,name\n1.000001,X')) as unknown as { code: string };
  t.is(missing.code, 'catalog.import.missingColumns');
});
