// Users, their role assignments (a role scoped to an org unit and its subtree) and login sessions.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** Roles known to govflow. */
export const ROLES = ['admin', 'designer', 'officer', 'leader', 'citizen'] as const;
export type Role = (typeof ROLES)[number];

/** A person (or machine account) who logs in. */
export class User extends Model {
  declare id: number;
  declare username: string;
  declare fullName: string;
  declare email: string | null;
  declare phone: string | null;
  declare orgUnitId: number | null;
  declare locale: 'vi' | 'en';
  declare status: 'active' | 'disabled';
  declare passwordHash: string;
  declare lastLoginAt: Date | null;
  declare createdAt: Date;
}

/** A role held by a user over an org unit and everything below it (null: the whole system). */
export class RoleAssignment extends Model {
  declare id: number;
  declare userId: number;
  declare role: Role;
  declare orgUnitId: number | null;
}

/** A login session; the cookie carries only its random id. */
export class Session extends Model {
  declare id: string;
  declare userId: number;
  declare ip: string | null;
  declare userAgent: string | null;
  declare expiresAt: Date;
}

/**
 * A counter shared by every node: a fixed-window rate limit (`hits` since `windowStart`) or the
 * failed-login lock of one submitted username (`failures`, `lockCount`, `lockedUntil`). The key is a
 * scope and a hash of the counted value, so no username or address is stored and case or accents never
 * merge two keys under a database collation.
 */
export class AuthThrottle extends Model {
  declare bucket: string;
  declare windowStart: Date;
  declare hits: number;
  declare failures: number;
  declare lockCount: number;
  declare lockedUntil: Date | null;
  declare expiresAt: Date;
}

/** Defines the auth models on a connection. */
export function initAuthModels(sequelize: Sequelize): void {
  User.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      username: { type: DataTypes.STRING(64), allowNull: false, unique: true },
      fullName: { type: DataTypes.STRING(255), allowNull: false },
      email: { type: DataTypes.STRING(255), allowNull: true },
      phone: { type: DataTypes.STRING(32), allowNull: true },
      orgUnitId: { type: DataTypes.INTEGER, allowNull: true },
      locale: { type: DataTypes.STRING(8), allowNull: false, defaultValue: 'vi' },
      status: { type: DataTypes.STRING(16), allowNull: false, defaultValue: 'active' },
      passwordHash: { type: DataTypes.STRING(255), allowNull: false },
      lastLoginAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, tableName: 'users', underscored: true, timestamps: true },
  );
  RoleAssignment.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      userId: { type: DataTypes.INTEGER, allowNull: false },
      role: { type: DataTypes.STRING(32), allowNull: false },
      orgUnitId: { type: DataTypes.INTEGER, allowNull: true },
    },
    { sequelize, tableName: 'role_assignments', underscored: true, timestamps: true, updatedAt: false },
  );
  Session.init(
    {
      id: { type: DataTypes.STRING(64), primaryKey: true },
      userId: { type: DataTypes.INTEGER, allowNull: false },
      ip: { type: DataTypes.STRING(64), allowNull: true },
      userAgent: { type: DataTypes.STRING(255), allowNull: true },
      expiresAt: { type: DataTypes.DATE, allowNull: false },
    },
    { sequelize, tableName: 'sessions', underscored: true, timestamps: true, updatedAt: false },
  );
  AuthThrottle.init(
    {
      bucket: { type: DataTypes.STRING(80), primaryKey: true },
      windowStart: { type: DataTypes.DATE(3), allowNull: false },
      hits: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      failures: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lockCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      lockedUntil: { type: DataTypes.DATE(3), allowNull: true },
      expiresAt: { type: DataTypes.DATE(3), allowNull: false },
    },
    { sequelize, tableName: 'auth_throttles', underscored: true, timestamps: false },
  );
  User.hasMany(RoleAssignment, { foreignKey: 'userId', as: 'roles' });
  RoleAssignment.belongsTo(User, { foreignKey: 'userId' });
}
