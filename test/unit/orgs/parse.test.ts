// Checking an org file before anything touches the database: every problem, each with its line.
import test from 'ava';
import { parseOrgFile } from '../../../src/orgs/import.ts';
import { t as msg } from '../../../src/i18n/index.ts';

const HEADER = 'code,name,level,parent_code';
const file = (...lines: string[]) => [HEADER, ...lines].join('\n');
const keys = (r: ReturnType<typeof parseOrgFile>) => r.problems.map((p) => [p.line, p.key]);

test('accepts a well-formed two-level file and guesses each unit\'s kind from its name', (t) => {
  const r = parseOrgFile(file('01,Thành phố Hà Nội,province,', '00004,Phường Ba Đình,commune,01', '00100,Xã Sóc Sơn,commune,01'));
  t.deepEqual(r.problems, []);
  t.is(r.format, 'admin-units');
  t.deepEqual(r.rows.map((x) => [x.line, x.code, x.level, x.kind, x.parentCode]), [
    [2, '01', 'province', 'thanh_pho', null],
    [3, '00004', 'commune', 'phuong', '01'],
    [4, '00100', 'commune', 'xa', '01'],
  ]);
});

test('rejects an unknown header on line 1 and reads no rows', (t) => {
  const r = parseOrgFile('ma,ten,cap,ma_cha\n01,Hà Nội,province,\n');
  t.deepEqual(keys(r), [[1, 'orgs.import.header']]);
  t.deepEqual(r.rows, []);
  t.is(r.problems[0].params.header, 'ma,ten,cap,ma_cha');
});

test('reports a duplicate code with the line of its first appearance', (t) => {
  const r = parseOrgFile(file('01,Thành phố Hà Nội,province,', '00004,Phường Ba Đình,commune,01', '00004,Phường Ba Đình Hai,commune,01'));
  t.deepEqual(keys(r), [[4, 'orgs.import.duplicate']]);
  t.like(r.problems[0].params, { code: '00004', first: 3, line: 4 });
  t.is(msg('en', r.problems[0].key, r.problems[0].params), 'Line 4: code 00004 already appears on line 3.');
});

test('rejects a level outside province, district and commune', (t) => {
  const r = parseOrgFile(file('01,Thành phố Hà Nội,province,', '00004,Thôn Một,hamlet,01', '00005,Bộ Lạ,ministry,01'));
  t.deepEqual(keys(r), [[3, 'orgs.import.badLevel'], [4, 'orgs.import.badLevel']]);
  t.is(r.problems[0].params.level, 'hamlet');
});

test('rejects a commune placed under another commune', (t) => {
  const r = parseOrgFile(file('01,Thành phố Hà Nội,province,', '00004,Phường Ba Đình,commune,01', '00007,Xã Con,commune,00004'));
  t.deepEqual(keys(r), [[4, 'orgs.import.parentLevel']]);
  t.like(r.problems[0].params, { code: '00007', parent: '00004', parentLevel: 'commune' });
});

test('rejects a district under a district and a province under a province', (t) => {
  const r = parseOrgFile(file('01,Thành phố Hà Nội,province,', '001,Quận Ba Đình,district,01', '002,Quận Con,district,001', '02,Tỉnh Con,province,01'));
  t.deepEqual(keys(r), [[4, 'orgs.import.parentLevel'], [5, 'orgs.import.parentLevel']]);
});

test('reports bad encoding when the bytes are not valid UTF-8', (t) => {
  const latin1 = Buffer.concat([Buffer.from(`${HEADER}\n01,Th`), Buffer.from([0xe0, 0x6e, 0x68]), Buffer.from(' ph\xf4,province,\n', 'latin1')]);
  const r = parseOrgFile(latin1);
  t.deepEqual(keys(r), [[1, 'orgs.import.encoding']]);
  t.deepEqual(r.rows, []);
  t.is(msg('vi', r.problems[0].key, r.problems[0].params), 'Dòng 1: tệp không phải văn bản UTF-8 hợp lệ.');
});

test('accepts valid UTF-8 bytes with a byte-order mark', (t) => {
  const r = parseOrgFile(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(file('01,Thành phố Hà Nội,province,'))]));
  t.deepEqual(r.problems, []);
  t.is(r.rows[0].name, 'Thành phố Hà Nội');
});

test('reports a missing parent code for a commune or district', (t) => {
  const r = parseOrgFile(file('01,Thành phố Hà Nội,province,', '00004,Phường Ba Đình,commune,', '001,Quận Ba Đình,district,'));
  t.deepEqual(keys(r), [[3, 'orgs.import.noParent'], [4, 'orgs.import.noParent']]);
});

test('reports a wrong column count, a bad code and a missing name, and keeps going to list them all', (t) => {
  const r = parseOrgFile(file('01,Thành phố Hà Nội,province', '0 1,Xã Có Dấu Cách,commune,01', '00009,,commune,01', '00010,Xã Tốt,commune,01'));
  t.deepEqual(keys(r), [[2, 'orgs.import.columns'], [3, 'orgs.import.badCode'], [4, 'orgs.import.noName']]);
  t.like(r.problems[0].params, { expected: 4, got: 3 });
});

test('counts lines from the start of each record when a quoted field spans lines', (t) => {
  const r = parseOrgFile(`${HEADER}\n01,"Thành phố\nHà Nội",province,\n00004,Phường Ba Đình,commune,01\n00004,Trùng,commune,01\n`);
  t.deepEqual(keys(r), [[5, 'orgs.import.duplicate']]);
  t.is(r.problems[0].params.first, 4);
});

test('reads the agencies format as ministries with abolition dates', (t) => {
  const r = parseOrgFile('code,electronic_id,name,agency_type,status\nG01,000.00.00.G01,Bộ Công an,bo,active\nG99,000.00.00.G99,Bộ Cũ,bo,abolished_2025-03-01\n');
  t.deepEqual(r.problems, []);
  t.is(r.format, 'agencies');
  t.deepEqual(r.rows.map((x) => [x.code, x.level, x.validTo]), [['G01', 'ministry', null], ['G99', 'ministry', '2025-03-01']]);
});

test('every problem key has a message in both languages', (t) => {
  const all = ['encoding', 'header', 'columns', 'badCode', 'noName', 'duplicate', 'badLevel', 'noParent', 'parentLevel', 'unknownParent', 'rejected'];
  for (const k of all) {
    for (const locale of ['vi', 'en'] as const) t.not(msg(locale, `orgs.import.${k}`, {}), `orgs.import.${k}`, `${locale} ${k}`);
  }
  t.not(msg('en', 'orgs.notFound', { id: 'x' }), 'orgs.notFound');
});
