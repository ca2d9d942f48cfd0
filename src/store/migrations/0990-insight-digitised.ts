import type { Migration } from '../migrate.ts';

// Decision 766 rankings at rollup speed (docs/insight.md, docs/rankings.md): three facts of a dossier that its files
// and payments decide — it has an applicant's attachment, it has an issued result, it was paid — are kept on the
// dossier row by the statistics hooks (src/insight/track.ts), so its contribution stays a function of its row; and
// the rollups gain the three counters the digitisation and online-payment indicators read: received dossiers with an
// attachment (on the day received), resolved dossiers with a result file and resolved dossiers paid online (on the
// day resolved). The flags are set here from the files and payments; the new counters of existing rollup rows start
// at zero until `govflow insight rebuild` recounts them (run it once after upgrading).
const TABLES = ['insight_daily', 'insight_monthly', 'insight_area_daily', 'insight_area_monthly'];
const COUNTERS = ['with_attachment', 'with_result', 'done_paid'];
const FLAGS: ReadonlyArray<[string, string]> = [
  ['has_attachment', "EXISTS (SELECT 1 FROM dossier_files f WHERE f.dossier_id = dossiers.id AND f.kind = 'attachment')"],
  ['has_result', "EXISTS (SELECT 1 FROM dossier_files f WHERE f.dossier_id = dossiers.id AND f.kind = 'result')"],
  ['paid', "EXISTS (SELECT 1 FROM payments p WHERE p.dossier_id = dossiers.id AND p.status = 'paid')"],
];

export const up: Migration = async ({ context: { qi, sequelize, DataTypes } }) => {
  for (const [flag] of FLAGS) await qi.addColumn('dossiers', flag, { type: DataTypes.BOOLEAN, allowNull: false, defaultValue: false });
  await sequelize.query(`UPDATE dossiers SET ${FLAGS.map(([flag, truth]) => `${flag} = CASE WHEN ${truth} THEN 1 ELSE 0 END`).join(', ')}`);
  for (const table of TABLES) {
    for (const c of COUNTERS) await qi.addColumn(table, c, { type: DataTypes.INTEGER, allowNull: false, defaultValue: 0 });
  }
};

export const down: Migration = async ({ context: { qi } }) => {
  for (const table of TABLES) for (const c of COUNTERS) await qi.removeColumn(table, c);
  for (const [flag] of FLAGS) await qi.removeColumn('dossiers', flag);
};
