// The signing screens through the real server: a leader uploads a PKCS#12 and signs a PDF with its PIN;
// anyone verifies on /verify and POST /api/verify; a changed byte or value shows as broken.
import test from 'ava';
import type { ServerInjectResponse } from '@hapi/hapi';
import { startApp, makeUser, login, anonymous, type TestApp, type Session } from '../../helpers/server.ts';
import { setupCa, pkcs12For, samplePdf, tamper, multipartBody } from '../../helpers/signing.ts';
import { issueUserCertificate, signData } from '../../../src/signing/service.ts';
import type { VerifyReport } from '../../../src/signing/service.ts';

let app: TestApp;
let leader: Session;
let officer: Session;
let signedPdf: Buffer;
let signatureId: string;

const post = (session: Session, url: string, fields: Parameters<typeof multipartBody>[0]): Promise<ServerInjectResponse> => {
  const m = multipartBody(url.startsWith('/api/') ? fields : { ...fields, crumb: session.crumb });
  return app.server.inject({ method: 'POST', url, payload: m.payload, headers: { ...m.headers, cookie: session.cookie } });
};

test.before(async () => {
  app = await startApp({ orgs: true });
  await setupCa();
  await makeUser('leader', '01', { username: 'lanhdao.web', fullName: 'Phạm Minh Chính' });
  await makeUser('officer', '01', { username: 'canbo.web' });
  leader = await login(app.server, 'lanhdao.web');
  officer = await login(app.server, 'canbo.web');
  const { p12 } = pkcs12For('Phạm Minh Chính', '123456');
  const wrong = await post(leader, '/me/certificates', { file: { filename: 'cks.p12', content: p12 }, pin: '000000' });
  if (wrong.statusCode !== 422) throw new Error(`wrong PIN upload answered ${wrong.statusCode}`);
  const ok = await post(leader, '/me/certificates', { file: { filename: 'cks.p12', content: p12 }, pin: '123456' });
  if (ok.statusCode !== 302) throw new Error(`upload answered ${ok.statusCode}: ${ok.payload.slice(0, 300)}`);
  const signed = await post(leader, '/sign', { file: { filename: 'báo cáo.pdf', content: await samplePdf(), type: 'application/pdf' }, pin: '123456' });
  if (signed.statusCode !== 200) throw new Error(`sign answered ${signed.statusCode}: ${signed.payload.slice(0, 500)}`);
  signedPdf = signed.rawPayload;
  signatureId = String(signed.headers['x-signature-id']);
});
test.after.always(async () => {
  await app?.close();
});

test('the leader sees the uploaded certificate on their page', async (t) => {
  const res = await app.server.inject({ url: '/me/certificates', headers: { cookie: leader.cookie } });
  t.is(res.statusCode, 200);
  t.regex(res.payload, /data-testid="cert-current"[\s\S]*Phạm Minh Chính/);
  t.regex(res.payload, /Do bạn tải lên/);
});

test('signing with a wrong PIN is refused with a message', async (t) => {
  const res = await post(leader, '/sign', { file: { filename: 'x.pdf', content: await samplePdf('Khác') }, pin: '999999' });
  t.is(res.statusCode, 422);
  t.regex(res.payload, /Mã PIN không đúng/);
});

test('an officer may not reach the signing pages', async (t) => {
  t.is((await app.server.inject({ url: '/sign', headers: { cookie: officer.cookie } })).statusCode, 403);
  t.is((await post(officer, '/me/certificates', { file: { filename: 'a.p12', content: Buffer.from('x') }, pin: '1' })).statusCode, 403);
});

test('anyone verifies the signed PDF through the API and sees signer, chain and time', async (t) => {
  const res = await app.server.inject({ method: 'POST', url: '/api/verify', payload: { pdf: signedPdf.toString('base64') } });
  t.is(res.statusCode, 200, res.payload);
  const r = JSON.parse(res.payload) as VerifyReport;
  t.true(r.isValid);
  t.is(r.signatures[0].signer!.name, 'Phạm Minh Chính');
  t.is(r.signatures[0].chain.length, 3);
  t.regex(r.signatures[0].signingTime!, /\+07:00$/);
  t.is(r.signatures[0].record!.id, signatureId);
});

test('the public verify page shows a valid signature with its signer, in Vietnamese and in English', async (t) => {
  const anon = await anonymous(app.server);
  const res = await post(anon, '/verify', { pdf: { filename: 'signed.pdf', content: signedPdf, type: 'application/pdf' } });
  t.is(res.statusCode, 200);
  t.regex(res.payload, /data-valid="true"/);
  t.regex(res.payload, /Chữ ký hợp lệ/);
  t.regex(res.payload, /data-testid="verify-signer">Phạm Minh Chính/);
  const m = multipartBody({ crumb: anon.crumb, pdf: { filename: 'signed.pdf', content: signedPdf } });
  const en = await app.server.inject({ method: 'POST', url: '/verify', payload: m.payload, headers: { ...m.headers, cookie: `${anon.cookie}; lang=en` } });
  t.regex(en.payload, /Valid signature/);
});

test('one changed byte in the PDF shows as broken on the page and in the API', async (t) => {
  const anon = await anonymous(app.server);
  const res = await post(anon, '/verify', { pdf: { filename: 'bad.pdf', content: tamper(signedPdf) } });
  t.regex(res.payload, /data-valid="false"/);
  t.regex(res.payload, /Nội dung đã bị thay đổi sau khi ký/);
  const api = JSON.parse((await app.server.inject({ method: 'POST', url: '/api/verify', payload: { pdf: tamper(signedPdf).toString('base64') } })).payload) as VerifyReport;
  t.false(api.isValid);
  t.false(api.signatures[0].isIntact);
});

test('data with its signature verifies, and one changed value breaks it', async (t) => {
  const user = await makeUser('leader', '01', { fullName: 'Lê Thị Thu' });
  await issueUserCertificate(user.username, null);
  const r = await signData({ username: user.username }, { chiTieu: 'CT01', giaTri: 42 });
  const anon = await anonymous(app.server);
  const ok = await post(anon, '/verify', { data: { filename: 'd.json', content: Buffer.from(r.canonical) }, signature: { filename: 'd.p7s', content: r.cms } });
  t.regex(ok.payload, /data-valid="true"/);
  t.regex(ok.payload, /Lê Thị Thu/);
  const bad = await post(anon, '/verify', { data: { filename: 'd.json', content: Buffer.from(r.canonical.replace('42', '43')) }, signature: { filename: 'd.p7s', content: r.cms } });
  t.regex(bad.payload, /data-valid="false"/);
  const api = JSON.parse((await app.server.inject({ method: 'POST', url: '/api/verify', payload: { data: r.canonical, signature: r.cms.toString('base64') } })).payload) as VerifyReport;
  t.true(api.isValid);
  // The values themselves, in any key order, are checked in their canonical form.
  const asValues = JSON.parse((await app.server.inject({ method: 'POST', url: '/api/verify', payload: { data: { giaTri: 42, chiTieu: 'CT01' }, signature: r.cms.toString('base64') } })).payload) as VerifyReport;
  t.true(asValues.isValid);
  const changed = JSON.parse((await app.server.inject({ method: 'POST', url: '/api/verify', payload: { data: { giaTri: 41, chiTieu: 'CT01' }, signature: r.cms.toString('base64') } })).payload) as VerifyReport;
  t.false(changed.isValid);
});

test('a signature id from the QR code opens its record on the verify page', async (t) => {
  const res = await app.server.inject(`/verify/${signatureId}`);
  t.is(res.statusCode, 200);
  t.regex(res.payload, /Phạm Minh Chính/);
  t.regex(res.payload, /hãy tải tệp đã ký lên/);
  t.is((await app.server.inject('/verify/00000000-0000-4000-8000-000000000000')).statusCode, 404);
});

test('verifying with nothing to check is a 400 that says what to give', async (t) => {
  const res = await app.server.inject({ method: 'POST', url: '/api/verify', payload: {} });
  t.is(res.statusCode, 400);
  t.is(JSON.parse(res.payload).code, 'signing.verifyNeedsInput');
});
