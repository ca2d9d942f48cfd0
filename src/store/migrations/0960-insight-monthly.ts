import type { Migration } from '../migrate.ts';

// Public statistics, issue 13's second part (docs/insight.md): payments, satisfaction ratings and feedback answered on
// time or late join the daily rollup as columns; month rollup rows with the same counters let a year be read from
// twelve rows per unit and procedure instead of one per day. The month rows of existing days are summed here;
// the new counters of existing rows start at zero until `govflow insight rebuild` recounts them.
const COUNTERS = ['payments_paid', 'rated', 'very_satisfied', 'satisfied', 'unsatisfied', 'feedback_on_time', 'feedback_late'];
const OLD = ['received_online', 'received_direct', 'resolved_early', 'resolved_on_time', 'resolved_late', 'refused', 'withdrawn', 'handling_hours'];

export const up: Migration = async ({ context: { qi, sequelize, DataTypes } }) => {
  const count = () => ({ type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  for (const c of COUNTERS) await qi.addColumn('insight_daily', c, count());
  /** Sum of the paid payments in VND. */
  await qi.addColumn('insight_daily', 'amount_paid', { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 });
  const columns: Record<string, unknown> = {
    /** The Vietnam month, YYYY-MM. */
    month: { type: DataTypes.STRING(7), primaryKey: true },
    org_code: { type: DataTypes.STRING(40), primaryKey: true },
    procedure_code: { type: DataTypes.STRING(32), primaryKey: true },
    org_path: { type: DataTypes.STRING(255), allowNull: false },
    field: { type: DataTypes.STRING(255), allowNull: false },
  };
  for (const c of OLD) columns[c] = c === 'handling_hours' ? { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 } : count();
  for (const c of COUNTERS) columns[c] = count();
  columns.amount_paid = { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0 };
  await qi.createTable('insight_monthly', columns as Parameters<typeof qi.createTable>[1]);
  await qi.addIndex('insight_monthly', ['org_path', 'month'], { name: 'insight_monthly_scope' });
  await qi.addIndex('insight_monthly', ['field', 'month'], { name: 'insight_monthly_field' });
  await sequelize.query(
    `INSERT INTO insight_monthly (month, org_code, procedure_code, org_path, field, ${OLD.join(', ')})
     SELECT SUBSTR(day, 1, 7), org_code, procedure_code, MAX(org_path), MAX(field), ${OLD.map((c) => `SUM(${c})`).join(', ')}
     FROM insight_daily GROUP BY SUBSTR(day, 1, 7), org_code, procedure_code`,
  );
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('insight_monthly');
  for (const c of [...COUNTERS, 'amount_paid']) await qi.removeColumn('insight_daily', c);
};
