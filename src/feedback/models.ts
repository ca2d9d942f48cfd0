// Sequelize models of feedback and petitions (phản ánh, kiến nghị): cases, their events and attachments.
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** Where a case stands; the BPMN process `feedback-handling` moves it. */
export const CASE_STATUSES = ['received', 'processing', 'answered', 'published', 'reopened', 'closed'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** One feedback or petition case. */
export class FeedbackCase extends Model {
  declare id: number;
  declare code: string;
  declare subject: string;
  declare content: string;
  /** `web` (the public form) or `rating` (a "not satisfied" rating of a dossier). */
  declare source: 'web' | 'rating';
  declare status: CaseStatus;
  /** The agency handling the case now. */
  declare orgCode: string;
  declare orgPath: string;
  declare orgName: string;
  /** The agency the submitter picked (null: "not sure"). */
  declare chosenOrgCode: string | null;
  /** The officer the case is assigned to. */
  declare assignedTo: string | null;
  declare instanceId: string | null;
  declare contactName: string;
  declare contactPhone: string | null;
  declare contactEmail: string | null;
  declare locale: 'vi' | 'en';
  declare submitterUserId: number | null;
  /** SHA-256 of the tracking code e-mailed to the submitter. */
  declare trackingHash: string | null;
  declare dossierId: number | null;
  declare dossierCode: string | null;
  declare answer: string | null;
  declare answeredBy: string | null;
  declare answeredAt: Date | null;
  /** The texts as the public page shows them, personal data masked at publication. */
  declare publicSubject: string | null;
  declare publicContent: string | null;
  declare publicAnswer: string | null;
  declare publishedAt: Date | null;
  declare reopenCount: number;
  declare reopenReason: string | null;
  declare receivedAt: Date;
  declare dueAt: Date;
  declare closedAt: Date | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** One thing that happened to a case (received, assigned, transferred, answered, published, reopened). */
export class FeedbackEvent extends Model {
  declare id: number;
  declare caseId: number;
  declare kind: string;
  declare actor: string | null;
  declare fromOrgCode: string | null;
  declare toOrgCode: string | null;
  declare note: string | null;
  declare at: Date;
}

/** A file attached to a case, its bytes stored once by SHA-256. */
export class FeedbackFile extends Model {
  declare id: number;
  declare caseId: number;
  declare sha256: string;
  declare name: string;
  declare size: number;
  declare type: string;
}

/** Defines the feedback models on a connection. */
export function initFeedbackModels(sequelize: Sequelize): void {
  const str = (n: number, allowNull = true) => ({ type: DataTypes.STRING(n), allowNull });
  const text = (allowNull = true) => ({ type: DataTypes.TEXT, allowNull });
  const date = (allowNull = true) => ({ type: DataTypes.DATE, allowNull });
  FeedbackCase.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      code: str(32, false),
      subject: str(300, false),
      content: text(false),
      source: str(16, false),
      status: str(16, false),
      orgCode: str(40, false),
      orgPath: str(255, false),
      orgName: str(255, false),
      chosenOrgCode: str(40),
      assignedTo: str(64),
      instanceId: str(64),
      contactName: str(200, false),
      contactPhone: str(20),
      contactEmail: str(255),
      locale: str(5, false),
      submitterUserId: { type: DataTypes.INTEGER, allowNull: true },
      trackingHash: str(64),
      dossierId: { type: DataTypes.INTEGER, allowNull: true },
      dossierCode: str(64),
      answer: text(),
      answeredBy: str(64),
      answeredAt: date(),
      publicSubject: str(300),
      publicContent: text(),
      publicAnswer: text(),
      publishedAt: date(),
      reopenCount: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      reopenReason: text(),
      receivedAt: date(false),
      dueAt: date(false),
      closedAt: date(),
    },
    { sequelize, tableName: 'feedback_cases', underscored: true, timestamps: true },
  );
  FeedbackEvent.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      caseId: { type: DataTypes.INTEGER, allowNull: false },
      kind: str(16, false),
      actor: str(64),
      fromOrgCode: str(40),
      toOrgCode: str(40),
      note: text(),
      at: date(false),
    },
    { sequelize, tableName: 'feedback_events', underscored: true, timestamps: false },
  );
  FeedbackFile.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      caseId: { type: DataTypes.INTEGER, allowNull: false },
      sha256: str(64, false),
      name: str(255, false),
      size: { type: DataTypes.INTEGER, allowNull: false },
      type: str(120, false),
    },
    { sequelize, tableName: 'feedback_files', underscored: true, timestamps: false },
  );
}

/** The three levels of a satisfaction rating. */
export const RATING_LEVELS = ['very_satisfied', 'satisfied', 'unsatisfied'] as const;
export type RatingLevel = (typeof RATING_LEVELS)[number];

/** A citizen's satisfaction rating of one dossier (at most one per dossier). */
export class DossierRating extends Model {
  declare id: number;
  declare dossierId: number;
  declare dossierCode: string;
  declare procedureCode: string;
  declare field: string;
  /** The dossier's receiving unit. */
  declare orgCode: string;
  declare orgPath: string;
  declare via: 'account' | 'code';
  declare userId: number | null;
  declare overall: RatingLevel;
  /** JSON: criterion id → level. */
  declare answersJson: string;
  declare comment: string | null;
  declare feedbackCaseId: number | null;
  /** Vietnam day (YYYY-MM-DD). */
  declare day: string;
  declare ratedAt: Date;
}

/** Defines the rating model on a connection. */
export function initRatingModels(sequelize: Sequelize): void {
  const str = (n: number, allowNull = true) => ({ type: DataTypes.STRING(n), allowNull });
  DossierRating.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      dossierId: { type: DataTypes.INTEGER, allowNull: false },
      dossierCode: str(64, false),
      procedureCode: str(32, false),
      field: str(255, false),
      orgCode: str(40, false),
      orgPath: str(255, false),
      via: str(16, false),
      userId: { type: DataTypes.INTEGER, allowNull: true },
      overall: str(16, false),
      answersJson: { type: DataTypes.TEXT, allowNull: false },
      comment: { type: DataTypes.TEXT, allowNull: true },
      feedbackCaseId: { type: DataTypes.INTEGER, allowNull: true },
      day: str(10, false),
      ratedAt: { type: DataTypes.DATE, allowNull: false },
    },
    { sequelize, tableName: 'dossier_ratings', underscored: true, timestamps: false },
  );
}
