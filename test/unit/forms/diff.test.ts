import test from 'ava';
import { diffDefinitions } from '../../../src/forms/diff.ts';
import { smallForm } from '../../fixtures/forms/small.ts';

test('the version diff names added, removed and changed indicators, columns and rules', (t) => {
  const a = smallForm();
  const b = smallForm();
  b.name = 'Báo cáo mới';
  b.sections[1].tables![0].rows.push({ id: 'r04', code: '04', name: 'Dịch vụ', parent: 'r01' });
  b.sections[1].tables![0].rows = b.sections[1].tables![0].rows.filter((r) => r.id !== 'r02');
  b.sections[1].tables![0].columns[2].formula = 'th - kh';
  b.rules = [];
  const changes = diffDefinitions(a, b).map((c) => `${c.kind} ${c.what} ${c.name}${c.prop ? ` ${c.prop}: ${c.from} → ${c.to}` : ''}`);
  t.deepEqual(changes.sort(), [
    'added row 04 Dịch vụ',
    'changed column So sánh (%) formula: if kh = null or kh = 0 then null else th / kh * 100 → th - kh',
    'changed form Báo cáo mới name: Báo cáo thử nghiệm sản xuất → Báo cáo mới',
    'removed row 02 Nông nghiệp',
    'removed rule Kế hoạch năm phải lớn hơn 0',
    'removed rule Thực hiện vượt kế hoạch năm',
  ]);
  t.deepEqual(diffDefinitions(a, smallForm()), []);
});
