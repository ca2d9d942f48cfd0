// Sequelize models of government reporting: regimes, cycles, reports, their history, ad hoc requests.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** Statuses of one unit's report in a cycle, in the order of the flow. */
export const REPORT_STATUSES = ['open', 'draft', 'review', 'returned', 'approved', 'submitted'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** A reporting regime (chế độ báo cáo). */
export class ReportingRegime extends Model {
  declare id: number;
  declare code: string;
  declare name: string;
  declare legalBasis: string | null;
  declare formKey: string;
  declare formVersion: number;
  declare processKey: string;
  declare frequency: string;
  declare reporters: string;
  declare recipientCode: string | null;
  declare deadlines: string;
  declare openOffsetDays: number;
  declare reminderDays: string;
  declare isLateAllowed: boolean;
  declare lateUntilDays: number | null;
  declare checks: string | null;
  declare isActive: boolean;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** One period of a regime. */
export class ReportingCycle extends Model {
  declare id: number;
  declare regimeId: number;
  declare period: string;
  declare status: 'opening' | 'open';
  declare expected: number;
  declare deadline: Date;
  declare openedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** One unit's report for one cycle. */
export class Report extends Model {
  declare id: number;
  declare regimeId: number;
  declare cycleId: number;
  declare period: string;
  declare orgUnitId: number;
  declare orgCode: string;
  declare orgPath: string;
  declare orgLevel: string;
  declare parentCode: string | null;
  declare status: ReportStatus;
  declare round: number;
  declare valuesJson: string | null;
  declare ownValues: string | null;
  declare explanations: string | null;
  declare issues: string | null;
  declare completeness: string | null;
  declare deadline: Date;
  declare isLate: boolean;
  declare isPartial: boolean;
  declare instanceId: string | null;
  declare signatureId: string | null;
  declare reviewedAt: Date | null;
  declare approvedAt: Date | null;
  declare approvedBy: number | null;
  declare submittedAt: Date | null;
  declare lockVersion: number;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** One step in a report's history (saved, sent for review, returned with a comment, approved, signed, reopened). */
export class ReportEvent extends Model {
  declare id: number;
  declare reportId: number;
  declare round: number;
  declare action: string;
  declare actorUserId: number | null;
  declare actorName: string | null;
  declare comment: string | null;
  declare at: Date;
}

/** An ad hoc request (báo cáo đột xuất) to selected units. */
export class ReportingRequest extends Model {
  declare id: number;
  declare regimeId: number;
  declare title: string;
  declare unitCodes: string;
  declare deadline: Date;
  declare requestedBy: number | null;
  declare sourceRegimeId: number | null;
  declare requesterCode: string | null;
  declare period: string | null;
  declare cycleId: number | null;
  declare createdAt: Date;
}

/** The PDF of a report as its leader signed it (one row per signing; withdrawn when the report is reopened). */
export class ReportSignedPdf extends Model {
  declare id: number;
  declare reportId: number;
  declare round: number;
  declare status: 'current' | 'withdrawn';
  /** Public id of the signature record over the PDF (its QR code links to /verify/ID). */
  declare pdfSignatureId: string;
  /** Public id of the signature record over the report's canonical JSON, made with the same PIN entry. */
  declare dataSignatureId: string;
  declare pdf: Buffer;
  declare sha256: string;
  declare sizeBytes: number;
  declare signedBy: number | null;
  declare signedAt: Date;
  declare withdrawnAt: Date | null;
  declare withdrawnBy: number | null;
  declare withdrawReason: string | null;
  declare createdAt: Date;
}

/** Defines the reporting models on a connection. */
export function initReportingModels(sequelize: Sequelize): void {
  ReportingRegime.init({
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    code: { type: DataTypes.STRING(64), allowNull: false },
    name: { type: DataTypes.STRING(500), allowNull: false },
    legalBasis: { type: DataTypes.TEXT, allowNull: true },
    formKey: { type: DataTypes.STRING(120), allowNull: false },
    formVersion: { type: DataTypes.INTEGER, allowNull: false },
    processKey: { type: DataTypes.STRING(120), allowNull: false },
    frequency: { type: DataTypes.STRING(16), allowNull: false },
    reporters: { type: DataTypes.TEXT, allowNull: false },
    recipientCode: { type: DataTypes.STRING(40), allowNull: true },
    deadlines: { type: DataTypes.TEXT, allowNull: false },
    openOffsetDays: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    reminderDays: { type: DataTypes.STRING(64), allowNull: false, defaultValue: '' },
    isLateAllowed: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
    lateUntilDays: { type: DataTypes.INTEGER, allowNull: true },
    checks: { type: DataTypes.TEXT, allowNull: true },
    isActive: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: true },
  }, { sequelize, tableName: 'reporting_regimes', underscored: true, timestamps: true });
  ReportingCycle.init({
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    regimeId: { type: DataTypes.INTEGER, allowNull: false },
    period: { type: DataTypes.STRING(16), allowNull: false },
    status: { type: DataTypes.STRING(16), allowNull: false },
    expected: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
    deadline: { type: DataTypes.DATE(3), allowNull: false },
    openedAt: { type: DataTypes.DATE(3), allowNull: true },
  }, { sequelize, tableName: 'reporting_cycles', underscored: true, timestamps: true });
  Report.init({
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    regimeId: { type: DataTypes.INTEGER, allowNull: false },
    cycleId: { type: DataTypes.INTEGER, allowNull: false },
    period: { type: DataTypes.STRING(16), allowNull: false },
    orgUnitId: { type: DataTypes.INTEGER, allowNull: false },
    orgCode: { type: DataTypes.STRING(40), allowNull: false },
    orgPath: { type: DataTypes.STRING(255), allowNull: false },
    orgLevel: { type: DataTypes.STRING(16), allowNull: false },
    parentCode: { type: DataTypes.STRING(40), allowNull: true },
    status: { type: DataTypes.STRING(16), allowNull: false },
    round: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 1 },
    valuesJson: { type: DataTypes.TEXT, allowNull: true, field: 'data_values' },
    ownValues: { type: DataTypes.TEXT, allowNull: true },
    explanations: { type: DataTypes.TEXT, allowNull: true },
    issues: { type: DataTypes.TEXT, allowNull: true },
    completeness: { type: DataTypes.TEXT, allowNull: true },
    deadline: { type: DataTypes.DATE(3), allowNull: false },
    isLate: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    isPartial: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    instanceId: { type: DataTypes.STRING(64), allowNull: true },
    signatureId: { type: DataTypes.STRING(64), allowNull: true },
    reviewedAt: { type: DataTypes.DATE(3), allowNull: true },
    approvedAt: { type: DataTypes.DATE(3), allowNull: true },
    approvedBy: { type: DataTypes.INTEGER, allowNull: true },
    submittedAt: { type: DataTypes.DATE(3), allowNull: true },
    lockVersion: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
  }, { sequelize, tableName: 'reporting_reports', underscored: true, timestamps: true });
  ReportEvent.init({
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    reportId: { type: DataTypes.INTEGER, allowNull: false },
    round: { type: DataTypes.INTEGER, allowNull: false },
    action: { type: DataTypes.STRING(32), allowNull: false },
    actorUserId: { type: DataTypes.INTEGER, allowNull: true },
    actorName: { type: DataTypes.STRING(255), allowNull: true },
    comment: { type: DataTypes.TEXT, allowNull: true },
    at: { type: DataTypes.DATE(3), allowNull: false },
  }, { sequelize, tableName: 'reporting_events', underscored: true, timestamps: false });
  ReportingRequest.init({
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    regimeId: { type: DataTypes.INTEGER, allowNull: false },
    title: { type: DataTypes.STRING(500), allowNull: false },
    unitCodes: { type: DataTypes.TEXT, allowNull: false },
    deadline: { type: DataTypes.DATE(3), allowNull: false },
    requestedBy: { type: DataTypes.INTEGER, allowNull: true },
    sourceRegimeId: { type: DataTypes.INTEGER, allowNull: true },
    requesterCode: { type: DataTypes.STRING(40), allowNull: true },
    period: { type: DataTypes.STRING(16), allowNull: true },
    cycleId: { type: DataTypes.INTEGER, allowNull: true },
  }, { sequelize, tableName: 'reporting_requests', underscored: true, timestamps: true, updatedAt: false });
  ReportSignedPdf.init({
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    reportId: { type: DataTypes.INTEGER, allowNull: false },
    round: { type: DataTypes.INTEGER, allowNull: false },
    status: { type: DataTypes.STRING(12), allowNull: false },
    pdfSignatureId: { type: DataTypes.STRING(36), allowNull: false },
    dataSignatureId: { type: DataTypes.STRING(36), allowNull: false },
    pdf: { type: DataTypes.BLOB('long'), allowNull: false },
    sha256: { type: DataTypes.STRING(64), allowNull: false },
    sizeBytes: { type: DataTypes.INTEGER, allowNull: false },
    signedBy: { type: DataTypes.INTEGER, allowNull: true },
    signedAt: { type: DataTypes.DATE(3), allowNull: false },
    withdrawnAt: { type: DataTypes.DATE(3), allowNull: true },
    withdrawnBy: { type: DataTypes.INTEGER, allowNull: true },
    withdrawReason: { type: DataTypes.TEXT, allowNull: true },
  }, { sequelize, tableName: 'reporting_signed_pdfs', underscored: true, timestamps: true, updatedAt: false });
}
