// Demo seed: a few dossiers of the demo citizen at Phường Ba Đình in handled states (being handled,
// waiting for additions, approved, done, one overdue at the desk), so the officers' inbox is alive.
import { Op } from 'sequelize';
import { Dossier } from './models.ts';
import { receiveDossier } from './core.ts';
import { acceptDossier, completeHandling, decideDossier, issueResult, requestSupplement, returnResult } from './handling.ts';
import { getProcedure } from '../catalog/service.ts';
import { getOrgByCode } from '../orgs/service.ts';
import { loadViewerByUsername } from '../auth/service.ts';
import { runDueJobs } from '../engine/service.ts';
import { inTransaction } from '../store/index.ts';
import type { Viewer } from '../access/index.ts';

const UNIT = '00004';
/** The demo applicant's phone: its last 4 digits (0111) look the dossiers up and rate them without an account. */
const DEMO_PHONE = '0912000111';

async function viewer(username: string): Promise<Viewer | null> {
  return (await loadViewerByUsername(username))?.viewer ?? null;
}

async function received(owner: Viewer, procedureCode: string, values: Record<string, unknown>, at?: Date): Promise<Dossier> {
  const { procedure } = await getProcedure(procedureCode);
  const org = await getOrgByCode(UNIT);
  const row = await inTransaction(async (t) => {
    const d = await Dossier.create({
      procedureCode: procedure.code, procedureName: procedure.name, formKey: procedure.formKey ?? procedure.code, formVersion: 1, ownerUserId: owner.userId,
      applicantName: owner.fullName, applicantPhone: DEMO_PHONE, orgUnitId: org.id, orgCode: org.code, orgPath: org.path, channel: 'online', status: 'draft', valuesJson: JSON.stringify(values),
    }, { transaction: t });
    await receiveDossier(d, { at, channel: 'online', actor: owner.username, actorName: owner.fullName, limit: { amount: procedure.processingAmount, unit: procedure.processingUnit }, processKey: procedure.processKey }, t);
    return d;
  });
  await runDueJobs();
  return (await Dossier.findByPk(row.id))!;
}

/**
 * Seeds the demo dossiers once (nothing when a dossier past the desk's submission exists or a demo account is
 * missing). The citizen's own demo dossiers (a draft and a submitted one, seeded first) do not count.
 */
export async function seedHandling(print: (line: string) => void = () => {}): Promise<void> {
  if (await Dossier.count({ where: { status: { [Op.notIn]: ['draft', 'submitted'] } } })) return;
  const [citizen, officer, leader] = await Promise.all([viewer('congdan@example.vn'), viewer('canbo.xa'), viewer('lanhdao.xa')]);
  if (!citizen || !officer || !leader) return;
  // Đăng ký thành lập hộ kinh doanh (03 working days): with the department.
  const handling = await received(citizen, '1.001612', { tenHoKinhDoanh: 'Tạp hoá Hoàng Gia', diaChi: '12 Phố Đội Cấn, Ba Đình' });
  await acceptDossier(officer, handling.id, { note: 'Hồ sơ đủ thành phần' });
  // Đăng ký khai sinh: waiting for the citizen's additions, the clock stopped.
  const waiting = await received(citizen, '1.001193', { hoTenTre: 'Hoàng Minh An', ngaySinh: '2026-11-20' });
  await requestSupplement(officer, waiting.id, { missing: ['Giấy chứng sinh (bản chính)'], note: 'Bản chụp chưa rõ số giấy chứng sinh' });
  // Đăng ký kết hôn (partially online: the result is an unsigned notice): approved, waiting to be issued; and one done.
  for (const last of ['approve', 'return'] as const) {
    const d = await received(citizen, '1.000894', { hoTenChong: 'Hoàng Văn Công Dân', hoTenVo: 'Nguyễn Thị Lan' });
    await acceptDossier(officer, d.id);
    await completeHandling(officer, d.id, { note: 'Đủ điều kiện kết hôn' });
    await decideDossier(leader, d.id, { decision: 'approved' });
    if (last === 'return') {
      await issueResult(officer, d.id);
      await returnResult(officer, d.id, { method: 'counter' });
    }
  }
  // Đăng ký khai tử received a week ago and never checked: its receiving step is overdue and escalates.
  await received(citizen, '1.000656', { hoTenNguoiMat: 'Hoàng Văn Bình' }, new Date(Date.now() - 7 * 86400_000));
  print(`demo dossiers at ${UNIT}: 5 in handled states (processing, supplement, approved, done, one overdue)`);
}
