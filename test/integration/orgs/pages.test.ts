// The org tree screens and API through the real server: browsing, search, unit pages, org scope,
// and the admin's import page.
import test from 'ava';
import { startApp, makeUser, login, call, type TestApp, type Session } from '../../helpers/server.ts';
import { getOrgByCode } from '../../../src/orgs/service.ts';
import { OrgUnit } from '../../../src/orgs/models.ts';
import { searchAudit } from '../../../src/audit/service.ts';

let app: TestApp;
let admin: Session;
let officerHanoi: Session;
let leaderHcm: Session;
let citizen: Session;
let scopedAdmin: Session;
let ids: Record<string, number>;

test.before(async () => {
  app = await startApp();
  const [a, o, l, c, sa] = await Promise.all([
    makeUser('admin', null, { username: 'root.admin' }),
    makeUser('officer', '01', { username: 'officer.hn' }),
    makeUser('leader', '79', { username: 'leader.hcm' }),
    makeUser('citizen', null, { username: 'citizen.one' }),
    makeUser('admin', '01', { username: 'admin.hn' }),
  ]);
  [admin, officerHanoi, leaderHcm, citizen, scopedAdmin] = await Promise.all([a, o, l, c, sa].map((u) => login(app.server, u.username)));
  ids = Object.fromEntries(await Promise.all(['VN', '01', '79', '00004', '25747'].map(async (code) => [code, (await getOrgByCode(code)).id])));
});
test.after.always(async () => {
  await app?.close();
});

/** A multipart/form-data body as a browser sends the import form. */
function multipart(fields: Record<string, string>, file: { name: string; content: string | Buffer }) {
  const boundary = '----govflowTestBoundary7MA4YWxkTrZu0gW';
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n`));
  parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content));
  parts.push(Buffer.from(`\r\n--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function upload(session: Session, fields: Record<string, string>, content: string | Buffer, extraCookie = '') {
  const body = multipart({ crumb: session.crumb, ...fields }, { name: 'units.csv', content });
  return app.server.inject({ method: 'POST', url: '/admin/orgs/import', payload: body.payload, headers: { ...body.headers, cookie: session.cookie + extraCookie } });
}

test('an admin sees the whole tree opened at the root, with every province one link away', async (t) => {
  const res = await call(app.server, admin, 'GET', '/admin/orgs');
  t.is(res.statusCode, 200);
  t.regex(res.payload, /data-testid="org-tree"/);
  t.regex(res.payload, /Thành phố Hà Nội/);
  t.regex(res.payload, /Thành phố Hồ Chí Minh/);
  t.regex(res.payload, /Bộ Công an/);
  // Communes stay folded until their province is opened.
  t.notRegex(res.payload, /data-org="00004"/);
  t.regex(res.payload, new RegExp(`href="/admin/orgs\\?open=${Math.min(ids.VN, ids['01'])},${Math.max(ids.VN, ids['01'])}"`));
});

test('opening a province by link lists its communes without any script', async (t) => {
  const res = await call(app.server, admin, 'GET', `/admin/orgs?open=${ids.VN},${ids['01']}`);
  t.is(res.statusCode, 200);
  t.regex(res.payload, /data-org="00004"/);
  t.regex(res.payload, /aria-expanded="true"/);
  t.notRegex(res.payload, /data-org="26740"/);
  // Folding the root leaves an explicit empty list, so the root stays folded.
  t.regex(res.payload, new RegExp(`href="/admin/orgs\\?open=${ids['01']}"`));
  const folded = await call(app.server, admin, 'GET', `/admin/orgs?open=`);
  t.notRegex(folded.payload, /data-org="01"/);
});

test('the browser finds units by code and by name', async (t) => {
  const byCode = await call(app.server, admin, 'GET', '/admin/orgs?q=00004');
  t.is(byCode.statusCode, 200);
  t.regex(byCode.payload, /data-testid="org-results"/);
  t.regex(byCode.payload, /Phường Ba Đình/);
  const byName = await call(app.server, admin, 'GET', `/admin/orgs?q=${encodeURIComponent('Hồ Chí Minh')}`);
  t.regex(byName.payload, new RegExp(`href="/admin/orgs/${ids['79']}"`));
});

test('an officer of Hà Nội browses only from Hà Nội and searches only inside it', async (t) => {
  const tree = await call(app.server, officerHanoi, 'GET', '/admin/orgs');
  t.is(tree.statusCode, 200);
  t.regex(tree.payload, /Thành phố Hà Nội/);
  t.notRegex(tree.payload, /Thành phố Hồ Chí Minh/);
  t.regex(tree.payload, /data-org="00004"/, 'a single root opens by itself');
  const search = await call(app.server, officerHanoi, 'GET', `/admin/orgs?q=${encodeURIComponent('Phường')}`);
  t.regex(search.payload, /Phường Ba Đình/);
  t.notRegex(search.payload, /Phường Sài Gòn/);
});

test('the unit page shows the breadcrumb, children, counts by level and validity dates', async (t) => {
  const res = await call(app.server, admin, 'GET', `/admin/orgs/${ids['01']}`);
  t.is(res.statusCode, 200);
  t.regex(res.payload, /data-testid="breadcrumb"[\s\S]*Chính phủ[\s\S]*Thành phố Hà Nội/);
  t.regex(res.payload, /<td class="num" data-level="commune">126<\/td>/);
  t.regex(res.payload, /Phường Ba Đình/);
  t.regex(res.payload, /<dt>Hiệu lực từ<\/dt><dd>/);
  t.regex(res.payload, /<dt>Loại hình<\/dt><dd>Thành phố trực thuộc trung ương<\/dd>/);
  const commune = await call(app.server, officerHanoi, 'GET', `/admin/orgs/${ids['00004']}`);
  t.is(commune.statusCode, 200);
  t.regex(commune.payload, new RegExp(`<a href="/admin/orgs/${ids['01']}">Thành phố Hà Nội</a>`));
  // The officer's scope starts at Hà Nội: the root is named but not linked.
  t.notRegex(commune.payload, new RegExp(`<a href="/admin/orgs/${ids.VN}">`));
});

test('the unit page and the API answer 404 for an unknown unit', async (t) => {
  const res = await call(app.server, admin, 'GET', '/admin/orgs/987654');
  t.is(res.statusCode, 404);
  t.regex(res.payload, /Không tìm thấy đơn vị &quot;987654&quot;/);
  const api = await call(app.server, admin, 'GET', '/api/orgs/NOPE1');
  t.is(api.statusCode, 404);
  t.like(JSON.parse(api.payload), { code: 'orgs.notFound' });
});

test('org pages deny a viewer outside the unit\'s subtree with 403', async (t) => {
  t.is((await call(app.server, officerHanoi, 'GET', `/admin/orgs/${ids['79']}`)).statusCode, 403);
  t.is((await call(app.server, officerHanoi, 'GET', `/admin/orgs/${ids['25747']}`)).statusCode, 403);
  t.is((await call(app.server, leaderHcm, 'GET', `/admin/orgs/${ids['00004']}`)).statusCode, 403);
  t.is((await call(app.server, leaderHcm, 'GET', `/admin/orgs/${ids['25747']}`)).statusCode, 200);
});

test('a citizen may not open the org browser', async (t) => {
  t.is((await call(app.server, citizen, 'GET', '/admin/orgs')).statusCode, 403);
  t.is((await call(app.server, citizen, 'GET', '/api/orgs/01')).statusCode, 403);
});

test('the navigation shows the org tree to staff roles only', async (t) => {
  t.regex((await call(app.server, officerHanoi, 'GET', '/')).payload, /href="\/admin\/orgs"/);
  t.notRegex((await call(app.server, citizen, 'GET', '/')).payload, /href="\/admin\/orgs"/);
});

test('the org API returns a unit with its ancestors and counts', async (t) => {
  const res = await call(app.server, officerHanoi, 'GET', '/api/orgs/01');
  t.is(res.statusCode, 200);
  const body = JSON.parse(res.payload);
  t.is(body.code, '01');
  t.is(body.level, 'province');
  t.deepEqual(body.ancestors.map((a: { code: string }) => a.code), ['VN']);
  t.deepEqual(body.counts, { commune: 126 });
  t.is(body.children.length, 126);
});

test('the subtree API lists the 126 communes of Hà Nội and filters by level', async (t) => {
  const res = await call(app.server, officerHanoi, 'GET', '/api/orgs/01/subtree?level=commune');
  t.is(res.statusCode, 200);
  const body = JSON.parse(res.payload);
  t.is(body.count, 126);
  t.true(body.units.every((u: { level: string }) => u.level === 'commune'));
  const provinces = JSON.parse((await call(app.server, officerHanoi, 'GET', '/api/orgs/01/subtree?level=province')).payload);
  t.is(provinces.count, 0);
  t.is((await call(app.server, officerHanoi, 'GET', '/api/orgs/01/subtree?level=hamlet')).statusCode, 400);
});

test('the org API denies an officer of 01 any unit of 79 with 403', async (t) => {
  for (const url of ['/api/orgs/79', '/api/orgs/79/subtree', '/api/orgs/25747', '/api/orgs?parent=79']) {
    const res = await call(app.server, officerHanoi, 'GET', url);
    t.is(res.statusCode, 403, url);
    t.is(JSON.parse(res.payload).code, 'errors.outOfScope');
  }
});

test('the org list API searches inside the caller\'s scope and lists children of a parent', async (t) => {
  const mine = JSON.parse((await call(app.server, officerHanoi, 'GET', `/api/orgs?q=${encodeURIComponent('Phường')}&limit=500`)).payload);
  t.true(mine.count > 0);
  const hanoi = await getOrgByCode('01');
  const paths = await OrgUnit.findAll({ where: { id: mine.units.map((u: { id: number }) => u.id) } });
  t.true(paths.every((o) => o.path.startsWith(hanoi.path)));
  const all = JSON.parse((await call(app.server, admin, 'GET', `/api/orgs?q=${encodeURIComponent('Phường')}&limit=500`)).payload);
  t.true(all.count > mine.count);
  const children = JSON.parse((await call(app.server, officerHanoi, 'GET', '/api/orgs?parent=01')).payload);
  t.is(children.count, 126);
  const roots = JSON.parse((await call(app.server, officerHanoi, 'GET', '/api/orgs')).payload);
  t.deepEqual(roots.units.map((u: { code: string }) => u.code), ['01']);
});

test('the import page refuses anyone but a system-wide admin with 403', async (t) => {
  t.is((await call(app.server, officerHanoi, 'GET', '/admin/orgs/import')).statusCode, 403);
  const good = 'code,name,level,parent_code\n99,Tỉnh Thử,province,\n';
  t.is((await upload(officerHanoi, { tree: 'scratch' }, good)).statusCode, 403);
  t.is((await upload(scopedAdmin, { tree: 'scratch' }, good)).statusCode, 403);
  t.is(await OrgUnit.count({ where: { tree: 'scratch' } }), 0);
});

test('the import page rejects a bad file with 422, every problem with its line number, and saves nothing', async (t) => {
  const before = await OrgUnit.count({ where: { tree: 'current' } });
  const bad = 'code,name,level,parent_code\n50,Tỉnh Mới,province,\n50001,Xã A,commune,77\n50001,Xã B,commune,50\n50002,Xã C,ward,50\n';
  const res = await upload(admin, { tree: 'current' }, bad);
  t.is(res.statusCode, 422);
  t.regex(res.payload, /data-testid="import-errors"/);
  t.regex(res.payload, /<li data-line="3">Dòng 3: đơn vị 50001 thuộc đơn vị cha 77/);
  t.regex(res.payload, /<li data-line="4">Dòng 4: mã 50001 bị trùng với dòng 3/);
  t.regex(res.payload, /<li data-line="5">Dòng 5: đơn vị 50002 có cấp &quot;ward&quot;/);
  t.is(await OrgUnit.count({ where: { tree: 'current' } }), before);
  t.is(await OrgUnit.count({ where: { code: '50' } }), 0);
});

test('the import form without a file is refused with 400 and shown again', async (t) => {
  const res = await call(app.server, admin, 'POST', '/admin/orgs/import', { tree: 'current' });
  t.is(res.statusCode, 400);
  t.regex(res.payload, /Hãy chọn tệp CSV/);
});

test('the import page reports problems in English for an English reader', async (t) => {
  const res = await upload(admin, { tree: 'current' }, Buffer.from([0x63, 0x6f, 0x64, 0x65, 0xff, 0xfe, 0x0a]), '; lang=en');
  t.is(res.statusCode, 422);
  t.regex(res.payload, /Line 1: the file is not valid UTF-8 text\./);
});

test.serial('a good file imports through the page, redirects to the result and is audited', async (t) => {
  const res = await upload(admin, { tree: 'pilot', validFrom: '2026-01-01' }, 'code,name,level,parent_code\n01,Thành phố Hà Nội,province,\n00004,Phường Ba Đình,commune,01\n');
  t.is(res.statusCode, 302);
  t.regex(res.headers.location as string, /^\/admin\/orgs\/import\?tree=pilot&rows=2&created=2&/);
  const page = await call(app.server, admin, 'GET', res.headers.location as string);
  t.regex(page.payload, /data-testid="import-result"/);
  t.is(await OrgUnit.count({ where: { tree: 'pilot' } }), 3);
  t.is((await getOrgByCode('00004', 'pilot')).validFrom, '2026-01-01');
  const { rows } = await searchAudit({ action: 'orgs.import', target: 'orgTree:pilot' });
  t.is(rows.length, 1);
  t.is(rows[0].actorName, 'root.admin');
});

test.serial('a system-wide admin can browse a historical tree; a scoped officer sees none of it', async (t) => {
  const page = await call(app.server, admin, 'GET', '/admin/orgs?tree=pilot');
  t.is(page.statusCode, 200);
  t.regex(page.payload, /Thành phố Hà Nội/);
  const pilotHanoi = await getOrgByCode('01', 'pilot');
  t.is((await call(app.server, officerHanoi, 'GET', `/admin/orgs/${pilotHanoi.id}`)).statusCode, 403);
  t.is((await call(app.server, officerHanoi, 'GET', '/api/orgs/01?tree=pilot')).statusCode, 403);
});
