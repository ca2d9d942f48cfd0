// Guessing the PIN of an uploaded certificate: concurrent wrong PINs never test more PINs than the limit,
// the certificate then stays locked also for the right PIN, and the lock lifts after its time. A sealed
// key moved to another certificate's row does not open.
import test from 'ava';
import { freshDb, type TestDb } from '../helpers/db.ts';
import { createUser, loadViewer } from '../../src/auth/service.ts';
import { User } from '../../src/auth/models.ts';
import { SigningCertificate } from '../../src/signing/models.ts';
import { issueUserCertificate, signData, uploadPkcs12 } from '../../src/signing/service.ts';
import { AppError } from '../../src/errors.ts';
import { setupCa, pkcs12For } from '../helpers/signing.ts';

let db: TestDb;
test.before(async () => {
  db = await freshDb({ LOGIN_MAX_FAILURES: '5', LOGIN_LOCK_MINUTES: '15' });
  await setupCa();
  for (const u of ['pin.leader', 'other.leader', 'third.leader']) await createUser({ username: u, fullName: `Lãnh đạo ${u}`, password: 'TestPassword123', orgCode: null, roles: [{ role: 'leader', orgCode: null }] }, null);
});
test.after.always(async () => db?.cleanup());

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (e instanceof AppError ? e.code : String(e)));

test.serial('twenty concurrent wrong PINs test at most five, then even the right PIN waits for the lock to lift', async (t) => {
  const viewer = await loadViewer((await User.findOne({ where: { username: 'pin.leader' } }))!);
  const cert = await uploadPkcs12(viewer, pkcs12For('Lãnh đạo PIN', '111222').p12, '111222');
  const codes = await Promise.all(Array.from({ length: 20 }, (_v, i) => codeOf(signData({ username: 'pin.leader', pin: String(900000 + i) }, { i }))));
  t.true(codes.filter((c) => c === 'signing.wrongPin').length <= 5, codes.join(','));
  t.is(codes.filter((c) => c === 'signing.wrongPin').length + codes.filter((c) => c === 'signing.pinLocked').length, 20);
  t.is(await codeOf(signData({ username: 'pin.leader', pin: '111222' }, { x: 1 })), 'signing.pinLocked');
  // When the lock has run out, the right PIN signs and the count starts again.
  await SigningCertificate.update({ pinLockedUntil: new Date(Date.now() - 1000) }, { where: { id: cert.id } });
  t.is(await codeOf(signData({ username: 'pin.leader', pin: '111222' }, { x: 2 })), 'ok');
  t.is((await SigningCertificate.findByPk(cert.id))!.pinFailures, 0);
});

test.serial('a sealed key copied into another certificate row does not open', async (t) => {
  await issueUserCertificate('other.leader', null);
  await issueUserCertificate('third.leader', null);
  const [a, b] = await Promise.all(['other.leader', 'third.leader'].map(async (u) => SigningCertificate.findOne({ where: { userId: (await User.findOne({ where: { username: u } }))!.id } })));
  await SigningCertificate.update({ sealed: a!.sealed }, { where: { id: b!.id } });
  t.not(await codeOf(signData({ username: 'third.leader' }, { x: 1 })), 'ok');
});
