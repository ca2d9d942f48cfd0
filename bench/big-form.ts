// The 200-indicator monthly form the benchmarks share: 20 groups of 1 total + 9 detail rows, 5 columns.
import type { FormDefinition, RowDef } from '../src/forms/definition.ts';

/** A 200-indicator × 5-column form with a percent formula and three rules. */
export function bigForm(): FormDefinition {
  const rows: RowDef[] = [];
  for (let g = 1; g <= 20; g++) {
    const parent = `g${g}`;
    rows.push({ id: parent, code: String(g).padStart(2, '0'), name: `Nhóm chỉ tiêu số ${g}`, unit: 'tỷ đồng', total: true, rollup: { kind: 'sum' } });
    for (let i = 1; i <= 9; i++) rows.push({ id: `${parent}_${i}`, code: `${String(g).padStart(2, '0')}.${i}`, name: `Chỉ tiêu chi tiết ${g}.${i} — giá trị sản xuất`, unit: 'tỷ đồng', parent, rollup: { kind: 'sum' } });
  }
  return {
    key: 'bench-200', code: 'Biểu số B200', name: 'Biểu đo hiệu năng 200 chỉ tiêu', periodKind: 'month', unitLabel: 'Ủy ban nhân dân tỉnh',
    sections: [
      { id: 'chung', title: 'Thông tin chung', fields: [{ id: 'nguoiLap', label: 'Người lập biểu', type: 'text', required: true }] },
      { id: 'chiTieu', title: 'Chỉ tiêu', tables: [{
        id: 'bang', title: 'Bảng chỉ tiêu',
        columns: [
          { id: 'th', label: 'Thực hiện kỳ báo cáo', type: 'number', decimals: 2, min: 0 },
          { id: 'lk', label: 'Lũy kế từ đầu năm', type: 'number', decimals: 2, min: 0 },
          { id: 'cky', label: 'Cùng kỳ năm trước', type: 'number', decimals: 2, min: 0 },
          { id: 'kh', label: 'Kế hoạch năm', type: 'number', decimals: 2, min: 0 },
          { id: 'ss', label: 'So sánh (%)', type: 'percent', decimals: 2, formula: 'if cky = null or cky = 0 then null else lk / cky * 100' },
        ],
        rows,
      }] },
    ],
    rules: [
      { id: 'luyKe', expression: 'lk >= th', message: 'Lũy kế không nhỏ hơn kỳ báo cáo', severity: 'error', forEachRow: 'bang', missing: 'skipIfAnyMissing' },
      { id: 'keHoach', expression: 'lk <= kh * 1.5', message: 'Lũy kế vượt xa kế hoạch', severity: 'warning', forEachRow: 'bang', missing: 'skipIfAnyMissing' },
      { id: 'tongDuong', expression: 'g1.th > 0', message: 'Nhóm 1 phải có số liệu', severity: 'error', missing: 'skipIfAllMissing' },
    ],
  };
}
