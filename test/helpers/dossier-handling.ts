// Dossiers in the state a handling test needs: made with the models and `receiveDossier` (as the citizen's
// submission does), with the handling process started and standing at its `receive` task.
import { Dossier } from '../../src/dossiers/models.ts';
import { receiveDossier } from '../../src/dossiers/core.ts';
import { getProcedure } from '../../src/catalog/service.ts';
import { getOrgByCode } from '../../src/orgs/service.ts';
import { runDueJobs } from '../../src/engine/service.ts';
import { inTransaction } from '../../src/store/index.ts';
import type { Viewer } from '../../src/access/index.ts';

/** A submitted online dossier of `owner` for a procedure at a unit, received at `at`, its process at `receive`. */
export async function receivedDossier(owner: Viewer, procedureCode: string, opts: { orgCode?: string; at?: Date; values?: Record<string, unknown> } = {}): Promise<Dossier> {
  const { procedure } = await getProcedure(procedureCode);
  const org = await getOrgByCode(opts.orgCode ?? '00004');
  const row = await inTransaction(async (t) => {
    const d = await Dossier.create({
      procedureCode: procedure.code, procedureName: procedure.name, formKey: procedure.formKey ?? 'x', formVersion: 1, ownerUserId: owner.userId,
      applicantName: owner.fullName, orgUnitId: org.id, orgCode: org.code, orgPath: org.path, channel: 'online', status: 'draft',
      valuesJson: JSON.stringify(opts.values ?? { hoTen: owner.fullName }),
    }, { transaction: t });
    await receiveDossier(d, { at: opts.at, channel: 'online', actor: owner.username, actorName: owner.fullName, limit: { amount: procedure.processingAmount, unit: procedure.processingUnit }, processKey: procedure.processKey }, t);
    return d;
  });
  await runDueJobs();
  return (await Dossier.findByPk(row.id))!;
}
