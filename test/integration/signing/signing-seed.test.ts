// The demo seed gives the demo leaders a signing certificate from the development CA, once.
import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { seedDemo, DEMO_USERS } from '../../../src/seed.ts';
import { SigningCertificate } from '../../../src/signing/models.ts';
import { signData, verifyData } from '../../../src/signing/service.ts';

let db: TestDb;
test.before(async () => {
  db = await freshDb();
});
test.after.always(async () => db?.cleanup());

test('after the demo seed every demo leader can sign, and seeding again issues nothing new', async (t) => {
  await seedDemo();
  const leaders = DEMO_USERS.filter((u) => u.role === 'leader');
  t.true(leaders.length > 0);
  for (const l of leaders) {
    const r = await signData({ username: l.username }, { demo: true });
    t.is(r.signature.signerName, l.fullName);
    t.true((await verifyData(Buffer.from(r.canonical), r.cms)).isValid);
  }
  const before = await SigningCertificate.count();
  await seedDemo();
  t.is(await SigningCertificate.count(), before);
});
