// Sequelize models of the statistics rollups (migrations 0950, 0960, 0980, 0990; docs/insight.md).
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** The counters of one rollup row, whatever its key. */
abstract class InsightCounts extends Model {
  declare field: string;
  declare receivedOnline: number;
  declare receivedDirect: number;
  declare resolvedEarly: number;
  declare resolvedOnTime: number;
  declare resolvedLate: number;
  declare refused: number;
  declare withdrawn: number;
  declare handlingHours: number;
  declare paymentsPaid: number;
  declare amountPaid: number;
  declare rated: number;
  declare verySatisfied: number;
  declare satisfied: number;
  declare unsatisfied: number;
  declare feedbackOnTime: number;
  declare feedbackLate: number;
  /** Received dossiers with an applicant's attachment; resolved (done) dossiers with a result file, and paid online. */
  declare withAttachment: number;
  declare withResult: number;
  declare donePaid: number;
}

/** The counters of one rollup row of a receiving unit and a procedure (a day or a month). */
abstract class InsightCounters extends InsightCounts {
  declare orgCode: string;
  declare procedureCode: string;
  declare orgPath: string;
}

/** Received and resolved dossiers of one Vietnam day, receiving unit and procedure. */
export class InsightDaily extends InsightCounters {
  declare day: string;
}

/** The same counters for one Vietnam month (YYYY-MM), receiving unit and procedure. */
export class InsightMonthly extends InsightCounters {
  declare month: string;
}

/** Dossiers still open, by receiving unit, procedure and the day they are due. */
export class InsightOpen extends Model {
  declare orgCode: string;
  declare procedureCode: string;
  declare dueDay: string;
  declare orgPath: string;
  declare field: string;
  declare open: number;
}

/**
 * The same counters summed over a whole area, the subtree of one unit just below the national root (a province or a
 * central agency), and a field: a country-year is a few thousand of these rows instead of a quarter million.
 */
export class InsightAreaDaily extends InsightCounts {
  declare day: string;
  declare areaPath: string;
}

/** An area's counters of one Vietnam month (YYYY-MM) and field. */
export class InsightAreaMonthly extends InsightCounts {
  declare month: string;
  declare areaPath: string;
}

/** Dossiers still open in an area, by field and due day. */
export class InsightAreaOpen extends Model {
  declare areaPath: string;
  declare field: string;
  declare dueDay: string;
  declare open: number;
}

/** Defines the statistics models on a connection. */
export function initInsightModels(sequelize: Sequelize): void {
  const count = () => ({ type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  const key = (n: number) => ({ type: DataTypes.STRING(n), primaryKey: true });
  // BIGINT comes back as a string on MySQL; sums in VND fit in a double exactly.
  const numbers = () => ({
    receivedOnline: count(), receivedDirect: count(), resolvedEarly: count(), resolvedOnTime: count(), resolvedLate: count(),
    refused: count(), withdrawn: count(), handlingHours: { type: DataTypes.DOUBLE, allowNull: false, defaultValue: 0 },
    paymentsPaid: count(), amountPaid: { type: DataTypes.BIGINT, allowNull: false, defaultValue: 0, get(this: Model) { return Number(this.getDataValue('amountPaid')); } },
    rated: count(), verySatisfied: count(), satisfied: count(), unsatisfied: count(), feedbackOnTime: count(), feedbackLate: count(),
    withAttachment: count(), withResult: count(), donePaid: count(),
  });
  const counters = () => ({ orgPath: { type: DataTypes.STRING(255), allowNull: false }, field: { type: DataTypes.STRING(255), allowNull: false }, ...numbers() });
  InsightDaily.init(
    { day: key(10), orgCode: key(40), procedureCode: key(32), ...counters() },
    { sequelize, tableName: 'insight_daily', underscored: true, timestamps: false },
  );
  InsightMonthly.init(
    { month: key(7), orgCode: key(40), procedureCode: key(32), ...counters() },
    { sequelize, tableName: 'insight_monthly', underscored: true, timestamps: false },
  );
  InsightOpen.init(
    {
      orgCode: key(40), procedureCode: key(32), dueDay: key(10),
      orgPath: { type: DataTypes.STRING(255), allowNull: false }, field: { type: DataTypes.STRING(255), allowNull: false }, open: count(),
    },
    { sequelize, tableName: 'insight_open', underscored: true, timestamps: false },
  );
  InsightAreaDaily.init(
    { day: key(10), areaPath: key(64), field: key(255), ...numbers() },
    { sequelize, tableName: 'insight_area_daily', underscored: true, timestamps: false },
  );
  InsightAreaMonthly.init(
    { month: key(7), areaPath: key(64), field: key(255), ...numbers() },
    { sequelize, tableName: 'insight_area_monthly', underscored: true, timestamps: false },
  );
  InsightAreaOpen.init(
    { areaPath: key(64), field: key(255), dueDay: key(10), open: count() },
    { sequelize, tableName: 'insight_area_open', underscored: true, timestamps: false },
  );
}
