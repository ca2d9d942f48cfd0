import type { Migration } from '../migrate.ts';

// Public statistics at area level (docs/insight.md): the counters summed over each area (the subtree of a unit just
// below the national root: a province or a central agency) and field, per Vietnam day and month, and the open
// dossiers per area, field and due day, so a whole-country period reads a few thousand rows instead of every unit's.
// The rows are summed here from the unit rows; from now on the same hooks keep both levels current.
const COUNTERS = [
  'received_online', 'received_direct', 'resolved_early', 'resolved_on_time', 'resolved_late', 'refused', 'withdrawn', 'handling_hours',
  'payments_paid', 'amount_paid', 'rated', 'very_satisfied', 'satisfied', 'unsatisfied', 'feedback_on_time', 'feedback_late',
];

export const up: Migration = async ({ context: { qi, sequelize, DataTypes } }) => {
  const count = () => ({ type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  const key = (n: number) => ({ type: DataTypes.STRING(n), primaryKey: true });
  const counters = (): Record<string, unknown> => Object.fromEntries(COUNTERS.map((c) => [c,
    c === 'handling_hours' ? { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 } : c === 'amount_paid' ? { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 } : count()]));
  type Columns = Parameters<typeof qi.createTable>[1];
  /** The Vietnam day (YYYY-MM-DD), the area's org path (e.g. `/1/12/`), the procedure's field ('' for none). */
  await qi.createTable('insight_area_daily', { day: key(10), area_path: key(64), field: key(255), ...counters() } as Columns);
  /** The Vietnam month (YYYY-MM). */
  await qi.createTable('insight_area_monthly', { month: key(7), area_path: key(64), field: key(255), ...counters() } as Columns);
  /** The Vietnam day the open dossiers are due; '' for dossiers without a limit. */
  await qi.createTable('insight_area_open', { area_path: key(64), field: key(255), due_day: key(10), open: count() } as Columns);
  await qi.addIndex('insight_area_daily', ['area_path', 'day'], { name: 'insight_area_daily_scope' });
  await qi.addIndex('insight_area_monthly', ['area_path', 'month'], { name: 'insight_area_monthly_scope' });
  // The first two segments of a unit's path: the national root and the unit below it.
  const area = sequelize.getDialect() === 'sqlite'
    ? "substr(org_path, 1, instr(substr(org_path, 2), '/') + instr(substr(org_path, instr(substr(org_path, 2), '/') + 2), '/') + 1)"
    : "IF(LENGTH(org_path) - LENGTH(REPLACE(org_path, '/', '')) >= 3, CONCAT(SUBSTRING_INDEX(org_path, '/', 3), '/'), org_path)";
  for (const [to, from, time] of [['insight_area_daily', 'insight_daily', 'day'], ['insight_area_monthly', 'insight_monthly', 'month']]) {
    await sequelize.query(
      `INSERT INTO ${to} (${time}, area_path, field, ${COUNTERS.join(', ')})
       SELECT ${time}, ${area}, field, ${COUNTERS.map((c) => `SUM(${c})`).join(', ')} FROM ${from} GROUP BY ${time}, ${area}, field`,
    );
  }
  await sequelize.query(`INSERT INTO insight_area_open (area_path, field, due_day, open) SELECT ${area}, field, due_day, SUM(open) FROM insight_open GROUP BY ${area}, field, due_day`);
};

export const down: Migration = async ({ context: { qi } }) => {
  for (const t of ['insight_area_open', 'insight_area_monthly', 'insight_area_daily']) await qi.dropTable(t);
};
