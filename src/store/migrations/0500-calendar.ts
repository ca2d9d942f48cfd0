import type { Migration } from '../migrate.ts';

// Days the administrator sets apart from the computed calendar: extra days off and compensating working days.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.createTable('calendar_days', {
    id: { type: DataTypes.INTEGER, primaryKey: true, autoIncrement: true },
    date: { type: DataTypes.STRING(10), allowNull: false, unique: true },
    kind: { type: DataTypes.STRING(16), allowNull: false },
    name: { type: DataTypes.STRING(255), allowNull: false },
    created_by: { type: DataTypes.STRING(64), allowNull: true },
    created_at: { type: DataTypes.DATE, allowNull: false },
    updated_at: { type: DataTypes.DATE, allowNull: false },
  });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.dropTable('calendar_days');
};
