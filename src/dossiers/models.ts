// Sequelize models of dossiers (hồ sơ): the dossier, its files, the citizen's once-only document store,
// the code counter, the history and the timed steps (migration 0600; docs/dossiers.md).
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** Where a dossier came in: the portal, the one-stop desk, or the post. */
export const CHANNELS = ['online', 'direct', 'post'] as const;
export type DossierChannel = (typeof CHANNELS)[number];

/**
 * A dossier's status. `draft`: the citizen is still filling it (no code). `submitted`: sent, waiting at the
 * one-stop desk. `supplement`: the desk asked for more and the clock is stopped. `processing`: received and
 * being handled. `approved` / `refused`: the leader decided. `done`: the result was handed back.
 * `withdrawn`: the citizen withdrew it before a decision.
 */
export const STATUSES = ['draft', 'submitted', 'supplement', 'processing', 'approved', 'refused', 'done', 'withdrawn'] as const;
export type DossierStatus = (typeof STATUSES)[number];

/** The kinds of history entries. */
export const EVENT_KINDS = [
  'created', 'submitted', 'received', 'supplement-requested', 'resubmitted', 'transferred', 'step-started', 'step-overdue',
  'approved', 'refused', 'result-issued', 'returned', 'withdrawn', 'paused', 'resumed', 'note', 'payment',
] as const;
export type DossierEventKind = (typeof EVENT_KINDS)[number];

/** One dossier. */
export class Dossier extends Model {
  declare id: number;
  /** `{electronic ID}-{YYMMDD}-{XXXX}`, given on submission; null while a draft. */
  declare code: string | null;
  declare procedureCode: string;
  declare procedureName: string;
  declare formKey: string;
  declare formVersion: number;
  /** The citizen's account; null for a dossier registered at the counter for someone without one. */
  declare ownerUserId: number | null;
  declare applicantName: string | null;
  declare applicantPhone: string | null;
  declare applicantEmail: string | null;
  /** The receiving unit. */
  declare orgUnitId: number;
  declare orgCode: string;
  declare orgPath: string;
  /** The receiving unit's electronic ID code used in the dossier code. */
  declare electronicId: string | null;
  declare channel: DossierChannel;
  declare status: DossierStatus;
  /** The current step's id in the handling process (e.g. `receive`, `handle`, `approve`). */
  declare stage: string | null;
  declare valuesJson: string;
  /** The procedure's time limit in working days (null when the catalog has none). */
  declare limitDays: number | null;
  declare submittedAt: Date | null;
  /** When the dossier was received (submission or counter registration). */
  declare receivedAt: Date | null;
  /** The start of counting under docs/calendar.md (next working day's opening when out of hours). */
  declare countedFrom: Date | null;
  declare dueAt: Date | null;
  /** Set while the clock is stopped (a completeness request waits for the citizen). */
  declare pausedAt: Date | null;
  declare pausedWorkingDays: number;
  declare instanceId: string | null;
  /** The officer now in charge (username). */
  declare officer: string | null;
  declare decision: 'approved' | 'refused' | null;
  declare decisionReason: string | null;
  declare decidedAt: Date | null;
  declare finishedAt: Date | null;
  declare returnMethod: 'online' | 'counter' | 'post' | null;
  /** Grows with every change, for optimistic updates. */
  declare version: number;
  /**
   * Whether the dossier has an applicant's attachment, an issued result file and a paid payment: kept from its files
   * and payments by the statistics hooks (src/insight/track.ts), never set by hand.
   */
  declare hasAttachment: boolean;
  declare hasResult: boolean;
  declare paid: boolean;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** The per electronic ID and day sequence behind dossier codes. */
export class DossierCounter extends Model {
  declare electronicId: string;
  /** `YYMMDD` in Vietnam time. */
  declare day: string;
  declare last: number;
}

/** A document a citizen gave once (or a result they received), offered again by type (once-only). */
export class CitizenDocument extends Model {
  declare id: number;
  declare userId: number;
  /** The kind of document (a procedure's document slot id, e.g. `giay-chung-sinh`). */
  declare docType: string;
  declare name: string;
  declare mime: string;
  declare size: number;
  declare sha256: string;
  /** `upload` (the citizen's own) or `result` (issued by an agency). */
  declare source: 'upload' | 'result';
  declare dossierId: number | null;
  /** Set when an officer checked it against the original. */
  declare verifiedAt: Date | null;
  declare verifiedBy: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** A file attached to a dossier (bytes stored once by SHA-256, see src/forms/files.ts). */
export class DossierFile extends Model {
  declare id: number;
  declare dossierId: number;
  declare docType: string;
  declare name: string;
  declare mime: string;
  declare size: number;
  declare sha256: string;
  /** The once-only store entry it came from or was saved as. */
  declare documentId: number | null;
  /** `attachment` (from the applicant), `result` (issued), `internal` (officers' working file). */
  declare kind: 'attachment' | 'result' | 'internal';
  declare addedBy: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** One entry of a dossier's history: who, when, what and why. */
export class DossierEvent extends Model {
  declare id: number;
  declare dossierId: number;
  declare at: Date;
  declare kind: DossierEventKind;
  declare step: string | null;
  declare actor: string | null;
  declare actorName: string | null;
  declare orgCode: string | null;
  declare toOrgCode: string | null;
  declare toOfficer: string | null;
  declare reason: string | null;
  declare dataJson: string | null;
}

/** A timed step of a dossier's handling, with its own limit. */
export class DossierStep extends Model {
  declare id: number;
  declare dossierId: number;
  declare step: string;
  declare orgCode: string | null;
  declare officer: string | null;
  declare limitDays: number | null;
  declare startedAt: Date;
  declare dueAt: Date | null;
  declare endedAt: Date | null;
  declare escalatedAt: Date | null;
}

/** A one-time code of the public lookup, e-mailed to the submitter (migration 0620; only a keyed hash is kept). */
export class DossierTrackingCode extends Model {
  declare id: number;
  declare dossierId: number;
  /** HMAC of the dossier code and the one-time code (hex). */
  declare lookup: string;
  declare expiresAt: Date;
  declare usedAt: Date | null;
  declare createdAt: Date;
}

/** Defines the dossier models on a connection. */
export function initDossierModels(sequelize: Sequelize): void {
  const str = (n: number, allowNull = true) => ({ type: DataTypes.STRING(n), allowNull });
  const date = (allowNull = true) => ({ type: DataTypes.DATE, allowNull });
  const int = (allowNull = true) => ({ type: DataTypes.INTEGER, allowNull });
  const opts = (tableName: string, timestamps = true) => ({ sequelize, tableName, underscored: true, timestamps });
  Dossier.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      code: str(40),
      procedureCode: str(32, false),
      procedureName: str(1000, false),
      formKey: str(60, false),
      formVersion: int(false),
      ownerUserId: int(),
      applicantName: str(255),
      applicantPhone: str(32),
      applicantEmail: str(255),
      orgUnitId: int(false),
      orgCode: str(40, false),
      orgPath: str(255, false),
      electronicId: str(40),
      channel: str(16, false),
      status: str(24, false),
      stage: str(64),
      valuesJson: { type: DataTypes.TEXT, allowNull: false },
      limitDays: { type: DataTypes.DOUBLE, allowNull: true },
      submittedAt: date(),
      receivedAt: date(),
      countedFrom: date(),
      dueAt: date(),
      pausedAt: date(),
      pausedWorkingDays: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
      instanceId: str(64),
      officer: str(64),
      decision: str(16),
      decisionReason: { type: DataTypes.TEXT, allowNull: true },
      decidedAt: date(),
      finishedAt: date(),
      returnMethod: str(16),
      version: { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 },
      hasAttachment: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      hasResult: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
      paid: { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false },
    },
    opts('dossiers'),
  );
  DossierCounter.init(
    {
      electronicId: { type: DataTypes.STRING(40), primaryKey: true },
      day: { type: DataTypes.STRING(6), primaryKey: true },
      last: int(false),
    },
    opts('dossier_counters', false),
  );
  CitizenDocument.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      userId: int(false),
      docType: str(64, false),
      name: str(255, false),
      mime: str(100, false),
      size: int(false),
      sha256: str(64, false),
      source: str(16, false),
      dossierId: int(),
      verifiedAt: date(),
      verifiedBy: str(64),
    },
    opts('citizen_documents'),
  );
  DossierFile.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      dossierId: int(false),
      docType: str(64, false),
      name: str(255, false),
      mime: str(100, false),
      size: int(false),
      sha256: str(64, false),
      documentId: int(),
      kind: str(16, false),
      addedBy: str(64),
    },
    opts('dossier_files'),
  );
  DossierEvent.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      dossierId: int(false),
      at: date(false),
      kind: str(32, false),
      step: str(64),
      actor: str(64),
      actorName: str(255),
      orgCode: str(40),
      toOrgCode: str(40),
      toOfficer: str(64),
      reason: { type: DataTypes.TEXT, allowNull: true },
      dataJson: { type: DataTypes.TEXT, allowNull: true },
    },
    opts('dossier_events', false),
  );
  DossierStep.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      dossierId: int(false),
      step: str(64, false),
      orgCode: str(40),
      officer: str(64),
      limitDays: { type: DataTypes.DOUBLE, allowNull: true },
      startedAt: date(false),
      dueAt: date(),
      endedAt: date(),
      escalatedAt: date(),
    },
    opts('dossier_steps', false),
  );
  DossierTrackingCode.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      dossierId: int(false),
      lookup: str(64, false),
      expiresAt: date(false),
      usedAt: date(),
      createdAt: date(false),
    },
    { sequelize, tableName: 'dossier_tracking_codes', underscored: true, timestamps: true, updatedAt: false },
  );
}
