import type { Migration } from '../migrate.ts';

// Public statistics of dossiers kept current as dossiers move (docs/insight.md): per Vietnam day, receiving
// unit and procedure, what was received and resolved; and the dossiers still open per due day.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  const count = () => ({ type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  await qi.createTable('insight_daily', {
    day: { type: DataTypes.STRING(10), primaryKey: true },
    org_code: { type: DataTypes.STRING(40), primaryKey: true },
    procedure_code: { type: DataTypes.STRING(32), primaryKey: true },
    org_path: { type: DataTypes.STRING(255), allowNull: false },
    field: { type: DataTypes.STRING(255), allowNull: false },
    received_online: count(),
    received_direct: count(),
    resolved_early: count(),
    resolved_on_time: count(),
    resolved_late: count(),
    refused: count(),
    withdrawn: count(),
    /** Sum of handling times of the resolved ones, in hours (averages divide by the resolved count). */
    handling_hours: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
  });
  await qi.addIndex('insight_daily', ['org_path', 'day'], { name: 'insight_daily_scope' });
  await qi.addIndex('insight_daily', ['field', 'day'], { name: 'insight_daily_field' });
  await qi.createTable('insight_open', {
    org_code: { type: DataTypes.STRING(40), primaryKey: true },
    procedure_code: { type: DataTypes.STRING(32), primaryKey: true },
    /** The Vietnam day the open dossiers are due; '' for dossiers without a limit. */
    due_day: { type: DataTypes.STRING(10), primaryKey: true },
    org_path: { type: DataTypes.STRING(255), allowNull: false },
    field: { type: DataTypes.STRING(255), allowNull: false },
    open: count(),
  });
  await qi.addIndex('insight_open', ['org_path'], { name: 'insight_open_scope' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('insight_open');
  await qi.dropTable('insight_daily');
};
