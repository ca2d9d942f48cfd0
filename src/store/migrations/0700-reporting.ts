import type { Migration } from '../migrate.ts';

// Government reporting: regimes (what is reported, by whom, when), one cycle per regime and period,
// one report per reporting unit of a cycle (unique, so a re-run or a second node never duplicates),
// the history of each report's rounds, and ad hoc requests.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  // A report's values can outgrow TEXT (64 KiB) on MySQL; SQLite has one TEXT type of any length.
  const LONG = qi.sequelize.getDialect() === 'sqlite' ? DataTypes.TEXT : DataTypes.TEXT('long');
  await qi.createTable('reporting_regimes', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    code: { type: DataTypes.STRING(64), allowNull: false },
    name: { type: DataTypes.STRING(500), allowNull: false },
    legal_basis: { type: DataTypes.TEXT, allowNull: true },
    form_key: { type: DataTypes.STRING(120), allowNull: false },
    form_version: { type: DataTypes.INTEGER, allowNull: false },
    process_key: { type: DataTypes.STRING(120), allowNull: false },
    frequency: { type: DataTypes.STRING(16), allowNull: false },
    // JSON: { levels: [...], within: orgCode | null, units: [codes] }
    reporters: { type: DataTypes.TEXT, allowNull: false },
    recipient_code: { type: DataTypes.STRING(40), allowNull: true },
    // JSON: { level: day of the period's last month }
    deadlines: { type: DataTypes.TEXT, allowNull: false },
    open_offset_days: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    reminder_days: { type: DataTypes.STRING(64), allowNull: false, defaultValue: '' },
    is_late_allowed: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    late_until_days: { type: DataTypes.INTEGER, allowNull: true },
    // JSON: { parentTolerance, changeThreshold, zScore } of the cross-checks
    checks: { type: DataTypes.TEXT, allowNull: true },
    is_active: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('reporting_regimes', ['code'], { unique: true, name: 'reporting_regimes_code' });

  await qi.createTable('reporting_cycles', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    regime_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'reporting_regimes', key: 'id' } },
    period: { type: DataTypes.STRING(16), allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    expected: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    deadline: { type: DataTypes.DATE(3), allowNull: false },
    opened_at: { type: DataTypes.DATE(3), allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('reporting_cycles', ['regime_id', 'period'], { unique: true, name: 'reporting_cycles_regime_period' });

  await qi.createTable('reporting_reports', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    regime_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'reporting_regimes', key: 'id' } },
    cycle_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'reporting_cycles', key: 'id' } },
    period: { type: DataTypes.STRING(16), allowNull: false },
    org_unit_id: { type: DataTypes.INTEGER, allowNull: false },
    org_code: { type: DataTypes.STRING(40), allowNull: false },
    org_path: { type: DataTypes.STRING(255), allowNull: false },
    org_level: { type: DataTypes.STRING(16), allowNull: false },
    parent_code: { type: DataTypes.STRING(40), allowNull: true },
    status: { type: DataTypes.STRING(16), allowNull: false },
    round: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
    data_values: { type: LONG, allowNull: true },
    own_values: { type: LONG, allowNull: true },
    explanations: { type: DataTypes.TEXT, allowNull: true },
    issues: { type: LONG, allowNull: true },
    completeness: { type: DataTypes.TEXT, allowNull: true },
    deadline: { type: DataTypes.DATE(3), allowNull: false },
    is_late: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    is_partial: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    instance_id: { type: DataTypes.STRING(64), allowNull: true },
    signature_id: { type: DataTypes.STRING(64), allowNull: true },
    reviewed_at: { type: DataTypes.DATE(3), allowNull: true },
    approved_at: { type: DataTypes.DATE(3), allowNull: true },
    approved_by: { type: DataTypes.INTEGER, allowNull: true },
    submitted_at: { type: DataTypes.DATE(3), allowNull: true },
    lock_version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
    updated_at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('reporting_reports', ['regime_id', 'period', 'org_unit_id'], { unique: true, name: 'reporting_reports_unit' });
  await qi.addIndex('reporting_reports', ['cycle_id', 'status'], { name: 'reporting_reports_cycle_status' });
  await qi.addIndex('reporting_reports', ['cycle_id', 'parent_code'], { name: 'reporting_reports_cycle_parent' });

  await qi.createTable('reporting_events', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    report_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'reporting_reports', key: 'id' }, onDelete: 'CASCADE' },
    round: { type: DataTypes.INTEGER, allowNull: false },
    action: { type: DataTypes.STRING(32), allowNull: false },
    actor_user_id: { type: DataTypes.INTEGER, allowNull: true },
    actor_name: { type: DataTypes.STRING(255), allowNull: true },
    comment: { type: DataTypes.TEXT, allowNull: true },
    at: { type: DataTypes.DATE(3), allowNull: false },
  });
  await qi.addIndex('reporting_events', ['report_id', 'id'], { name: 'reporting_events_report' });

  await qi.createTable('reporting_requests', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    regime_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'reporting_regimes', key: 'id' } },
    title: { type: DataTypes.STRING(500), allowNull: false },
    unit_codes: { type: DataTypes.TEXT, allowNull: false },
    deadline: { type: DataTypes.DATE(3), allowNull: false },
    requested_by: { type: DataTypes.INTEGER, allowNull: true },
    created_at: { type: DataTypes.DATE(3), allowNull: false },
  });
};

export const down: Migration = async ({ context: { qi } }) => {
  for (const table of ['reporting_requests', 'reporting_events', 'reporting_reports', 'reporting_cycles', 'reporting_regimes']) await qi.dropTable(table);
};
