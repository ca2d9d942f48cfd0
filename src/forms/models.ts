// Sequelize models of the forms domain.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** One version of a form definition. */
export class FormVersion extends Model {
  declare id: number;
  declare key: string;
  declare version: number;
  declare status: 'draft' | 'published';
  declare code: string;
  declare name: string;
  declare periodKind: string;
  declare definition: string;
  declare createdBy: number | null;
  declare publishedBy: number | null;
  declare publishedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** Values one unit entered for one period against one published version. */
export class FormSubmission extends Model {
  declare id: number;
  declare formDefinitionId: number;
  declare formKey: string;
  declare version: number;
  declare orgUnitId: number;
  declare period: string;
  declare status: 'draft' | 'submitted';
  declare values: string;
  declare explanations: string;
  declare issues: string;
  declare updatedBy: number | null;
  declare submittedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** An upload into a file field: the bytes (by sha256) a unit or user sent through the upload routes. */
export class FormUpload extends Model {
  declare id: number;
  declare sha256: string;
  declare orgUnitId: number;
  declare userId: number | null;
  declare formKey: string;
  declare field: string;
  declare name: string;
  declare size: number;
  declare type: string;
  declare createdAt: Date;
}

/** Defines the forms models on a connection. */
export function initFormModels(sequelize: Sequelize): void {
  FormVersion.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      key: { type: DataTypes.STRING(60), allowNull: false },
      version: { type: DataTypes.INTEGER, allowNull: false },
      status: { type: DataTypes.STRING(12), allowNull: false },
      code: { type: DataTypes.STRING(60), allowNull: false },
      name: { type: DataTypes.STRING(500), allowNull: false },
      periodKind: { type: DataTypes.STRING(12), allowNull: false },
      definition: { type: DataTypes.TEXT, allowNull: false },
      createdBy: { type: DataTypes.INTEGER, allowNull: true },
      publishedBy: { type: DataTypes.INTEGER, allowNull: true },
      publishedAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, tableName: 'form_definitions', underscored: true },
  );
  FormSubmission.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      formDefinitionId: { type: DataTypes.INTEGER, allowNull: false },
      formKey: { type: DataTypes.STRING(60), allowNull: false },
      version: { type: DataTypes.INTEGER, allowNull: false },
      orgUnitId: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      period: { type: DataTypes.STRING(20), allowNull: false },
      status: { type: DataTypes.STRING(12), allowNull: false },
      values: { type: DataTypes.TEXT, allowNull: false },
      explanations: { type: DataTypes.TEXT, allowNull: false },
      issues: { type: DataTypes.TEXT, allowNull: false },
      updatedBy: { type: DataTypes.INTEGER, allowNull: true },
      submittedAt: { type: DataTypes.DATE, allowNull: true },
    },
    { sequelize, tableName: 'form_submissions', underscored: true },
  );
  FormUpload.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      sha256: { type: DataTypes.STRING(64), allowNull: false },
      orgUnitId: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      userId: { type: DataTypes.INTEGER, allowNull: true },
      formKey: { type: DataTypes.STRING(60), allowNull: false },
      field: { type: DataTypes.STRING(60), allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: false },
      size: { type: DataTypes.INTEGER, allowNull: false },
      type: { type: DataTypes.STRING(100), allowNull: false },
    },
    { sequelize, tableName: 'form_uploads', underscored: true, updatedAt: false },
  );
}
