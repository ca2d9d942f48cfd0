import type { Migration } from '../migrate.ts';

// Dossiers (hồ sơ) of administrative procedures: the dossier, its files, the citizen's once-only document
// store, the per-unit-and-day code counter (Circular 01/2018 Art. 19), the history and the timed steps.
export const up: Migration = async ({ context: { qi, DataTypes, longText } }) => {
  const str = (n: number, allowNull = true) => ({ type: DataTypes.STRING(n), allowNull });
  const date = (allowNull = true) => ({ type: DataTypes.DATE, allowNull });
  const stamps = { created_at: date(false), updated_at: date(false) };
  await qi.createTable('dossiers', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    code: { type: DataTypes.STRING(40), allowNull: true, unique: true },
    procedure_code: str(32, false),
    procedure_name: str(1000, false),
    form_key: str(60, false),
    form_version: { type: DataTypes.INTEGER, allowNull: false },
    owner_user_id: { type: DataTypes.INTEGER, allowNull: true },
    applicant_name: str(255),
    applicant_phone: str(32),
    applicant_email: str(255),
    org_unit_id: { type: DataTypes.INTEGER, allowNull: false },
    org_code: str(40, false),
    org_path: str(255, false),
    electronic_id: str(40),
    channel: str(16, false),
    status: str(24, false),
    stage: str(64),
    values_json: { type: longText, allowNull: false },
    limit_days: { type: DataTypes.DOUBLE, allowNull: true },
    submitted_at: date(),
    received_at: date(),
    counted_from: date(),
    due_at: date(),
    paused_at: date(),
    paused_working_days: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
    instance_id: str(64),
    officer: str(64),
    decision: str(16),
    decision_reason: { type: DataTypes.TEXT, allowNull: true },
    decided_at: date(),
    finished_at: date(),
    return_method: str(16),
    version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    ...stamps,
  });
  await qi.addIndex('dossiers', ['owner_user_id', 'status'], { name: 'dossiers_owner' });
  await qi.addIndex('dossiers', ['org_path', 'status', 'due_at'], { name: 'dossiers_scope' });
  await qi.addIndex('dossiers', ['procedure_code'], { name: 'dossiers_procedure' });
  await qi.addIndex('dossiers', ['instance_id'], { name: 'dossiers_instance' });

  await qi.createTable('dossier_counters', {
    electronic_id: { type: DataTypes.STRING(40), primaryKey: true },
    day: { type: DataTypes.STRING(6), primaryKey: true },
    last: { type: DataTypes.INTEGER, allowNull: false },
  });

  await qi.createTable('citizen_documents', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    user_id: { type: DataTypes.INTEGER, allowNull: false },
    doc_type: str(64, false),
    name: str(255, false),
    mime: str(100, false),
    size: { type: DataTypes.INTEGER, allowNull: false },
    sha256: str(64, false),
    source: str(16, false),
    dossier_id: { type: DataTypes.INTEGER, allowNull: true },
    verified_at: date(),
    verified_by: str(64),
    ...stamps,
  });
  await qi.addIndex('citizen_documents', ['user_id', 'doc_type', 'sha256'], { name: 'citizen_documents_unique', unique: true });

  await qi.createTable('dossier_files', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    dossier_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'dossiers', key: 'id' }, onDelete: 'CASCADE' },
    doc_type: str(64, false),
    name: str(255, false),
    mime: str(100, false),
    size: { type: DataTypes.INTEGER, allowNull: false },
    sha256: str(64, false),
    document_id: { type: DataTypes.INTEGER, allowNull: true },
    kind: str(16, false),
    added_by: str(64),
    ...stamps,
  });
  await qi.addIndex('dossier_files', ['dossier_id'], { name: 'dossier_files_dossier' });

  await qi.createTable('dossier_events', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    dossier_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'dossiers', key: 'id' }, onDelete: 'CASCADE' },
    at: date(false),
    kind: str(32, false),
    step: str(64),
    actor: str(64),
    actor_name: str(255),
    org_code: str(40),
    to_org_code: str(40),
    to_officer: str(64),
    reason: { type: DataTypes.TEXT, allowNull: true },
    data_json: { type: DataTypes.TEXT, allowNull: true },
  });
  await qi.addIndex('dossier_events', ['dossier_id', 'at'], { name: 'dossier_events_dossier' });

  await qi.createTable('dossier_steps', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    dossier_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'dossiers', key: 'id' }, onDelete: 'CASCADE' },
    step: str(64, false),
    org_code: str(40),
    officer: str(64),
    limit_days: { type: DataTypes.DOUBLE, allowNull: true },
    started_at: date(false),
    due_at: date(),
    ended_at: date(),
    escalated_at: date(),
  });
  await qi.addIndex('dossier_steps', ['dossier_id', 'started_at'], { name: 'dossier_steps_dossier' });
  await qi.addIndex('dossier_steps', ['ended_at', 'due_at'], { name: 'dossier_steps_open' });
};

export const down: Migration = async ({ context: { qi } }) => {
  for (const t of ['dossier_steps', 'dossier_events', 'dossier_files', 'citizen_documents', 'dossier_counters', 'dossiers']) await qi.dropTable(t);
};
