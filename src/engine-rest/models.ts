// The API clients of `/engine-rest`: machine callers an admin issues credentials to.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** An API client: its secret is kept only as a hash; topics and processes are comma-separated lists. */
export class ApiClient extends Model {
  declare id: string;
  declare name: string;
  declare secretHash: string;
  declare topics: string;
  declare processes: string;
  declare createdBy: string | null;
  declare createdAt: Date;
  declare lastUsedAt: Date | null;
  declare revokedAt: Date | null;
  declare revokedBy: string | null;
}

/** Defines the API client model on a connection. */
export function initApiClientModels(sequelize: Sequelize): void {
  ApiClient.init(
    {
      id: { type: DataTypes.STRING(40), primaryKey: true },
      name: { type: DataTypes.STRING(190), allowNull: false },
      secretHash: { type: DataTypes.STRING(255), allowNull: false },
      topics: { type: DataTypes.TEXT, allowNull: false },
      processes: { type: DataTypes.TEXT, allowNull: false },
      createdBy: { type: DataTypes.STRING(64), allowNull: true },
      lastUsedAt: { type: DataTypes.DATE, allowNull: true },
      revokedAt: { type: DataTypes.DATE, allowNull: true },
      revokedBy: { type: DataTypes.STRING(64), allowNull: true },
    },
    { sequelize, tableName: 'api_clients', underscored: true, updatedAt: false },
  );
}
