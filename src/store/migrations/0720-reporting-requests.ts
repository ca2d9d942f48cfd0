import type { Migration } from '../migrate.ts';

// Ad hoc report requests (báo cáo đột xuất): the regime a request was made from, the unit that asked,
// and the period and cycle of the reports it opened (its own regime is `regime_id`).
export const up: Migration = async ({ context: { qi, DataTypes } }) => {
  await qi.addColumn('reporting_requests', 'source_regime_id', { type: DataTypes.INTEGER, allowNull: true });
  await qi.addColumn('reporting_requests', 'requester_code', { type: DataTypes.STRING(40), allowNull: true });
  await qi.addColumn('reporting_requests', 'period', { type: DataTypes.STRING(16), allowNull: true });
  await qi.addColumn('reporting_requests', 'cycle_id', { type: DataTypes.INTEGER, allowNull: true });
  await qi.addIndex('reporting_requests', ['requester_code', 'created_at'], { name: 'reporting_requests_requester' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.removeIndex('reporting_requests', 'reporting_requests_requester');
  for (const c of ['cycle_id', 'period', 'requester_code', 'source_regime_id']) await qi.removeColumn('reporting_requests', c);
};
