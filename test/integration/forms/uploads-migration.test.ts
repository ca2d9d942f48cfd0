import test from 'ava';
import { freshDb, type TestDb } from '../../helpers/db.ts';
import { db } from '../../../src/store/index.ts';
import { migrate } from '../../../src/store/migrate.ts';
import { FormSubmission, FormUpload, FormVersion } from '../../../src/forms/models.ts';

let tdb: TestDb;

test.before(async () => {
  tdb = await freshDb();
});
test.after.always(async () => {
  await tdb?.cleanup();
});

test('migration 0210 records the files of existing submissions as uploads of their unit, with a safe type', async (t) => {
  // The database as it was before 0210: submissions with file values and no uploads table.
  await db().getQueryInterface().dropTable('form_uploads');
  await db().query("DELETE FROM schema_migrations WHERE name = '0210-form-uploads'");
  const form = await FormVersion.create({ key: 'ho-so', version: 1, status: 'published', code: 'HS', name: 'Hồ sơ', periodKind: 'adhoc', definition: '{}' });
  const file = { sha256: 'a'.repeat(64), name: 'Đơn.pdf', size: 12, type: 'application/pdf' };
  const forged = { sha256: 'b'.repeat(64), name: 'x.html', size: 3, type: 'text/html\r\nX-Injected: 1' };
  await FormSubmission.create({ formDefinitionId: form.id, formKey: 'ho-so', version: 1, orgUnitId: 7, period: 'p1', status: 'draft', values: JSON.stringify({ giayTo: file, anh: forged, ten: 'An' }), explanations: '{}', issues: '[]', updatedBy: 3 });
  t.deepEqual(await migrate(), ['0210-form-uploads']);
  const rows = (await FormUpload.findAll({ order: [['sha256', 'ASC']] })).map((r) => r.get({ plain: true }));
  t.is(rows.length, 2);
  t.like(rows[0], { sha256: file.sha256, orgUnitId: 7, userId: 3, formKey: 'ho-so', field: 'giayTo', name: 'Đơn.pdf', size: 12, type: 'application/pdf' });
  t.like(rows[1], { sha256: forged.sha256, orgUnitId: 7, field: 'anh', type: 'application/octet-stream' });
});
