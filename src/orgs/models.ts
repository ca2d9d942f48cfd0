// Org units: any depth, named levels, a materialized path of ids for fast subtree queries.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** Levels of the org tree, top to bottom. */
export const ORG_LEVELS = ['central', 'ministry', 'province', 'district', 'commune'] as const;
export type OrgLevel = (typeof ORG_LEVELS)[number];

/** One unit of the org tree (a ministry, province, district, commune …). */
export class OrgUnit extends Model {
  declare id: number;
  declare tree: string;
  declare code: string;
  declare name: string;
  declare level: OrgLevel;
  declare kind: string;
  declare parentId: number | null;
  /** `/rootId/…/ownId/` */
  declare path: string;
  declare depth: number;
  declare validFrom: string | null;
  declare validTo: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** Defines the org models on a connection. */
export function initOrgModels(sequelize: Sequelize): void {
  OrgUnit.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      tree: { type: DataTypes.STRING(32), allowNull: false, defaultValue: 'current' },
      code: { type: DataTypes.STRING(40), allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: false },
      level: { type: DataTypes.STRING(20), allowNull: false },
      kind: { type: DataTypes.STRING(40), allowNull: false },
      parentId: { type: DataTypes.INTEGER, allowNull: true },
      path: { type: DataTypes.STRING(255), allowNull: false, defaultValue: '/' },
      depth: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      validFrom: { type: DataTypes.DATEONLY, allowNull: true },
      validTo: { type: DataTypes.DATEONLY, allowNull: true },
    },
    { sequelize, tableName: 'org_units', underscored: true, timestamps: true },
  );
}
