import type { Migration } from '../migrate.ts';

// Satisfaction ratings of dossiers (đánh giá mức độ hài lòng, docs/ratings.md): one per dossier, with the
// overall level kept in a column of its own (statistics and rankings read it) and every criterion's answer.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  const str = (n: number, allowNull = true) => ({ type: DataTypes.STRING(n), allowNull });
  await qi.createTable('dossier_ratings', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    dossier_id: { type: DataTypes.INTEGER, allowNull: false, unique: true, references: { model: 'dossiers', key: 'id' }, onDelete: 'CASCADE' },
    dossier_code: str(64, false),
    procedure_code: str(32, false),
    field: str(255, false),
    org_code: str(40, false),
    org_path: str(255, false),
    /** `account` (the logged-in owner) or `code` (dossier code plus the second factor). */
    via: str(16, false),
    user_id: { type: DataTypes.INTEGER, allowNull: true },
    /** `very_satisfied`, `satisfied` or `unsatisfied`. */
    overall: str(16, false),
    /** JSON: criterion id → level (the same three levels). */
    answers_json: { type: DataTypes.TEXT, allowNull: false },
    comment: { type: DataTypes.TEXT, allowNull: true },
    /** The feedback case an `unsatisfied` rating opened. */
    feedback_case_id: { type: DataTypes.INTEGER, allowNull: true },
    /** The Vietnam day of the rating (YYYY-MM-DD), for statistics. */
    day: str(10, false),
    rated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('dossier_ratings', ['org_path', 'day'], { name: 'dossier_ratings_scope' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('dossier_ratings');
};
