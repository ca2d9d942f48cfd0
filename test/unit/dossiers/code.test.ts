import test from 'ava';
import { DOSSIER_CODE_RE, formatDossierCode, vnDay } from '../../../src/dossiers/core.ts';

test('a dossier code has the structure of Circular 01/2018 Art. 19', (t) => {
  const code = formatDossierCode('000.00.00.G11', new Date('2026-12-01T03:00:00Z'), 1);
  t.is(code, '000.00.00.G11-261201-0001');
  t.regex(code, DOSSIER_CODE_RE);
  t.is(formatDossierCode('000.00.00.G11', new Date('2026-12-01T03:00:00Z'), 9999), '000.00.00.G11-261201-9999');
  t.throws(() => formatDossierCode('000.00.00.G11', new Date('2026-12-01T03:00:00Z'), 10000), { message: /codeOverflow/ });
});

test('the date part is the day of receipt in Vietnam time, not UTC', (t) => {
  // 16:59:59 UTC is 23:59:59 in Hà Nội; one second later it is the next day there.
  t.is(vnDay(new Date('2026-11-30T16:59:59Z')), '261130');
  t.is(vnDay(new Date('2026-11-30T17:00:00Z')), '261201');
});
