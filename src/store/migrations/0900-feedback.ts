import type { Migration } from '../migrate.ts';

// Feedback and petitions (phản ánh, kiến nghị): the cases, what happened to each, and their attachments.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  const str = (n: number, allowNull = true) => ({ type: DataTypes.STRING(n), allowNull });
  await qi.createTable('feedback_cases', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    code: { type: DataTypes.STRING(32), allowNull: false, unique: true },
    subject: str(300, false),
    content: { type: DataTypes.TEXT, allowNull: false },
    source: str(16, false),
    status: str(16, false),
    org_code: str(40, false),
    org_path: str(255, false),
    org_name: str(255, false),
    chosen_org_code: str(40),
    assigned_to: str(64),
    instance_id: str(64),
    contact_name: str(200, false),
    contact_phone: str(20),
    contact_email: str(255),
    locale: str(5, false),
    submitter_user_id: { type: DataTypes.INTEGER, allowNull: true },
    tracking_hash: str(64),
    dossier_id: { type: DataTypes.INTEGER, allowNull: true },
    dossier_code: str(64),
    answer: { type: DataTypes.TEXT, allowNull: true },
    answered_by: str(64),
    answered_at: { type: DataTypes.DATE, allowNull: true },
    public_subject: str(300),
    public_content: { type: DataTypes.TEXT, allowNull: true },
    public_answer: { type: DataTypes.TEXT, allowNull: true },
    published_at: { type: DataTypes.DATE, allowNull: true },
    reopen_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    reopen_reason: { type: DataTypes.TEXT, allowNull: true },
    received_at: { type: DataTypes.DATE, allowNull: false },
    due_at: { type: DataTypes.DATE, allowNull: false },
    closed_at: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('feedback_cases', ['org_path', 'status'], { name: 'feedback_cases_scope' });
  await qi.addIndex('feedback_cases', ['published_at'], { name: 'feedback_cases_published' });
  await qi.addIndex('feedback_cases', ['dossier_id'], { name: 'feedback_cases_dossier' });
  await qi.createTable('feedback_events', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    case_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'feedback_cases', key: 'id' }, onDelete: 'CASCADE' },
    kind: str(16, false),
    actor: str(64),
    from_org_code: str(40),
    to_org_code: str(40),
    note: { type: DataTypes.TEXT, allowNull: true },
    at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('feedback_events', ['case_id'], { name: 'feedback_events_case' });
  await qi.createTable('feedback_files', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    case_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'feedback_cases', key: 'id' }, onDelete: 'CASCADE' },
    sha256: str(64, false),
    name: str(255, false),
    size: { type: DataTypes.INTEGER, allowNull: false },
    type: str(120, false),
  });
  await qi.addIndex('feedback_files', ['case_id'], { name: 'feedback_files_case' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('feedback_files');
  await qi.dropTable('feedback_events');
  await qi.dropTable('feedback_cases');
};
