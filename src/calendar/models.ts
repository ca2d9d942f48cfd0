// Sequelize model of the calendar's manual entries (the computed legal holidays are not stored).
import { DataTypes, Model, type Sequelize } from 'sequelize';

/** `holiday`: a day off on top of the computed ones; `workday`: a working day (a compensating Saturday, or a computed holiday moved away). */
export const DAY_KINDS = ['holiday', 'workday'] as const;
export type DayKind = (typeof DAY_KINDS)[number];

/** One day the administrator entered. */
export class CalendarDay extends Model {
  declare id: number;
  /** `YYYY-MM-DD`, a date in Vietnam. */
  declare date: string;
  declare kind: DayKind;
  declare name: string;
  declare createdBy: string | null;
  declare createdAt: Date;
  declare updatedAt: Date;
}

/** Defines the calendar models on a connection. */
export function initCalendarModels(sequelize: Sequelize): void {
  CalendarDay.init(
    {
      id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
      date: { type: DataTypes.STRING(10), allowNull: false },
      kind: { type: DataTypes.STRING(16), allowNull: false },
      name: { type: DataTypes.STRING(255), allowNull: false },
      createdBy: { type: DataTypes.STRING(64), allowNull: true },
    },
    { sequelize, tableName: 'calendar_days', underscored: true, timestamps: true },
  );
}
