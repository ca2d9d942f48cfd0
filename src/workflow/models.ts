// Sequelize models of the people side of the engine: Camunda Forms (form-js JSON) deployed next to BPMN.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** One version of a deployed form-js form, keyed by its form id. */
export class WorkflowForm extends Model {
  declare id: number;
  declare formId: string;
  declare version: number;
  declare name: string | null;
  declare sourceName: string | null;
  declare sha256: string;
  declare schema: string;
  declare deployedBy: string | null;
  declare createdAt: Date;
}

/** Defines the workflow models on a connection. */
export function initWorkflowModels(sequelize: Sequelize): void {
  WorkflowForm.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      formId: { type: DataTypes.STRING(190), allowNull: false },
      version: { type: DataTypes.INTEGER, allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: true },
      sourceName: { type: DataTypes.STRING(255), allowNull: true },
      sha256: { type: DataTypes.STRING(64), allowNull: false },
      schema: { type: DataTypes.TEXT, allowNull: false },
      deployedBy: { type: DataTypes.STRING(64), allowNull: true },
    },
    { sequelize, tableName: 'workflow_forms', underscored: true, updatedAt: false },
  );
}
