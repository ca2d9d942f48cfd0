import type { Migration } from '../migrate.ts';

export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.createTable('users', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    username: { type: DataTypes.STRING(64), allowNull: false, unique: true },
    full_name: { type: DataTypes.STRING(255), allowNull: false },
    email: { type: DataTypes.STRING(255), allowNull: true, unique: true },
    phone: { type: DataTypes.STRING(32), allowNull: true },
    org_unit_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'org_units', key: 'id' } },
    locale: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'vi' },
    status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'active' },
    password_hash: { type: DataTypes.STRING(255), allowNull: false },
    failed_logins: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    lock_count: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    locked_until: { type: DataTypes.DATE, allowNull: true },
    last_login_at: { type: DataTypes.DATE, allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.createTable('role_assignments', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    user_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'users', key: 'id' }, onDelete: 'CASCADE' },
    role: { type: DataTypes.STRING(32), allowNull: false },
    org_unit_id: { type: DataTypes.INTEGER, allowNull: true, references: { model: 'org_units', key: 'id' } },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('role_assignments', ['user_id', 'role', 'org_unit_id'], { unique: true, name: 'role_assignments_unique' });
  await qi.addIndex('role_assignments', ['role', 'org_unit_id'], { name: 'role_assignments_role_org' });
  await qi.createTable('sessions', {
    id: { type: DataTypes.STRING(64), primaryKey: true },
    user_id: { type: DataTypes.INTEGER, allowNull: false, references: { model: 'users', key: 'id' }, onDelete: 'CASCADE' },
    ip: { type: DataTypes.STRING(64), allowNull: true },
    user_agent: { type: DataTypes.STRING(255), allowNull: true },
    expires_at: { type: DataTypes.DATE, allowNull: false },
    created_at: { type: DataTypes.DATE, allowNull: false },
  });
  await qi.addIndex('sessions', ['user_id'], { name: 'sessions_user' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('sessions');
  await qi.dropTable('role_assignments');
  await qi.dropTable('users');
};
