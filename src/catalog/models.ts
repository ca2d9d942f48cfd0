// Sequelize models of the procedure catalog: procedures, their FAQ, and the catalog's version row.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** One administrative procedure (thủ tục hành chính). */
export class Procedure extends Model {
  declare id: number;
  declare code: string;
  declare name: string;
  declare ministryCode: string | null;
  declare ministryName: string | null;
  declare agency: string;
  declare competentAuthority: string | null;
  declare field: string;
  /** As published, e.g. `Cấp Bộ, Cấp Tỉnh, Cấp Xã`. */
  declare level: string;
  declare procedureType: string | null;
  declare announcingDecision: string | null;
  /** As published, separated by `;`. */
  declare channels: string | null;
  declare onlineLevel: 'full' | 'partial' | null;
  declare processingText: string | null;
  declare processingAmount: number | null;
  declare processingUnit: 'workday' | 'day' | 'hour' | null;
  declare processingVariants: string | null;
  declare feeText: string | null;
  declare feeMin: number | null;
  declare feeMax: number | null;
  declare targetSubjects: string | null;
  /** Required documents, separated by ` | `. */
  declare documents: string | null;
  declare result: string | null;
  /** Legal basis, separated by ` | `. */
  declare legalBasis: string | null;
  declare formKey: string | null;
  declare processKey: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** A question and answer about a procedure, written by staff. */
export class ProcedureFaq extends Model {
  declare id: number;
  declare procedureCode: string;
  declare question: string;
  declare answer: string;
  declare updatedBy: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** The single row whose version grows with every change to the catalog. */
export class CatalogState extends Model {
  declare id: number;
  declare version: number;
  declare updatedAt: Date;
}

/** Defines the catalog models on a connection. */
export function initCatalogModels(sequelize: Sequelize): void {
  const str = (n: number, allowNull = true) => ({ type: DataTypes.STRING(n), allowNull });
  const text = () => ({ type: DataTypes.TEXT, allowNull: true });
  // BIGINT comes back as a string on MySQL; fees fit in a double exactly.
  const money = (column: string) => ({ type: DataTypes.BIGINT, allowNull: true, get(this: Model) { const v = this.getDataValue(column); return v === null || v === undefined ? null : Number(v); } });
  Procedure.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      code: str(32, false),
      name: str(1000, false),
      ministryCode: str(40),
      ministryName: str(255),
      agency: str(500, false),
      competentAuthority: str(500),
      field: str(255, false),
      level: str(255, false),
      procedureType: str(255),
      announcingDecision: str(500),
      channels: str(255),
      onlineLevel: str(16),
      processingText: text(),
      processingAmount: { type: DataTypes.DOUBLE, allowNull: true },
      processingUnit: str(16),
      processingVariants: text(),
      feeText: text(),
      feeMin: money('feeMin'),
      feeMax: money('feeMax'),
      targetSubjects: text(),
      documents: text(),
      result: text(),
      legalBasis: text(),
      formKey: str(60),
      processKey: str(120),
    },
    { sequelize, tableName: 'procedures', underscored: true, timestamps: true },
  );
  ProcedureFaq.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      procedureCode: str(32, false),
      question: str(500, false),
      answer: { type: DataTypes.TEXT, allowNull: false },
      updatedBy: str(64),
    },
    { sequelize, tableName: 'procedure_faqs', underscored: true, timestamps: true },
  );
  CatalogState.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true },
      version: { type: DataTypes.INTEGER, allowNull: false },
    },
    { sequelize, tableName: 'catalog_state', underscored: true, timestamps: true, createdAt: false },
  );
}
