import type { Migration } from '../migrate.ts';

// Incidents carry a catalog code and its parameters, so that the cockpit shows them in the reader's
// language; `error` keeps the English sentence for logs and older rows.
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.addColumn('engine_incidents', 'code', { type: DataTypes.STRING(100), allowNull: true });
  await qi.addColumn('engine_incidents', 'params', { type: DataTypes.TEXT, allowNull: true });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.removeColumn('engine_incidents', 'params');
  await qi.removeColumn('engine_incidents', 'code');
};
