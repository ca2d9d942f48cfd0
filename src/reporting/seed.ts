// Demo data of government reporting: the monthly socio-economic regime over the 2025 tree and its
// current cycle, with reports of Hà Nội in several states so that every screen has something to show.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { approveReport, getReport, getRegime, importRegime, openCycle, returnReport, saveReport, signReport } from './service.ts';
import { periodContaining } from './periods.ts';
import { loadViewerByUsername } from '../auth/service.ts';
import { listSubtree, getOrgByCode } from '../orgs/service.ts';
import { AppError } from '../errors.ts';
import { deployShippedProcesses } from '../engine/service.ts';
import type { Viewer } from '../access/index.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The demo regime's code. */
export const DEMO_REGIME = 'KTXH-THANG';

/** Figures of one demo unit (Vietnamese socio-economic indicators, in billions of đồng); `k` varies them. */
function demoValues(k: number, who: string): Record<string, unknown> {
  return {
    nguoiLap: who,
    VDT_NSNN_TINH: { th: 10 + k, lk: 100 + 9 * k, cky: 95 + 8 * k, kh: 400 + 20 * k },
    VDT_NSNN_XA: { th: 2 + k / 2, lk: 20 + k, cky: 18 + k, kh: 60 + k },
    TMBL_BANLE: { th: 300 + 11 * k, lk: 3000 + 90 * k, cky: 2800 + 85 * k, kh: 3600 + 100 * k },
  };
}

async function viewer(username: string): Promise<Viewer | null> {
  return (await loadViewerByUsername(username))?.viewer ?? null;
}

/** The demo regime whose form is cross-checked against the dossiers (quarterly, Hà Nội's units). */
export const DEMO_TTHC_REGIME = 'TTHC-QUY-HN';

/** Seeds the quarterly regime on procedures for Hà Nội and opens its current quarter; nothing when it exists. */
export async function seedTthcRegime(print: (line: string) => void = () => {}): Promise<void> {
  try {
    await getRegime(DEMO_TTHC_REGIME);
    return;
  } catch (err) {
    if (!(err instanceof AppError) || err.status !== 404) throw err;
  }
  await deployShippedProcesses();
  await importRegime(null, JSON.parse(fs.readFileSync(path.join(root, 'seed/regime-tthc-quy-hn.json'), 'utf8')));
  const period = periodContaining('quarter', new Date()).period;
  const opened = await openCycle(DEMO_TTHC_REGIME, period);
  print(`reporting: regime ${DEMO_TTHC_REGIME}, cycle ${period} opened for ${opened.created} units (figures pre-filled from dossiers)`);
}

/** Seeds the regime, opens the current cycle and moves a few Hà Nội reports along; safe to run again. */
export async function seedReporting(print: (line: string) => void = () => {}): Promise<void> {
  await seedTthcRegime(print);
  try {
    await getRegime(DEMO_REGIME);
    return;
  } catch (err) {
    if (!(err instanceof AppError) || err.status !== 404) throw err;
  }
  // The flow's steps below need the shipped report-cycle process, deployed before the server would.
  await deployShippedProcesses();
  await importRegime(null, JSON.parse(fs.readFileSync(path.join(root, 'seed/regime-ktxh-thang.json'), 'utf8')));
  const period = periodContaining('month', new Date()).period;
  const opened = await openCycle(DEMO_REGIME, period);
  print(`reporting: regime ${DEMO_REGIME}, cycle ${period} opened for ${opened.created} units`);
  const officer = await viewer('canbo.hanoi');
  const leader = await viewer('lanhdao.hanoi');
  if (!officer || !leader) return;
  const hanoi = await getOrgByCode('01');
  const communes = (await listSubtree(hanoi, 'commune')).map((u) => u.code).sort();
  const flow = async (unit: string, k: number, until: 'draft' | 'review' | 'approved' | 'submitted' | 'returned') => {
    await saveReport(officer, DEMO_REGIME, period, unit, demoValues(k, officer.fullName), { submit: until !== 'draft', via: 'seed' });
    if (until === 'draft' || until === 'review') return;
    if (until === 'returned') {
      await returnReport(leader, DEMO_REGIME, period, unit, 'Đề nghị kiểm tra lại số vốn đầu tư cấp xã.');
      return;
    }
    await approveReport(leader, DEMO_REGIME, period, unit);
    if (until === 'submitted') await signReport(leader, DEMO_REGIME, period, unit);
  };
  // The demo commune officer's own unit comes back with a comment to fix.
  await flow('00004', 1, 'returned');
  for (let i = 1; i <= 5; i++) await flow(communes[i], i + 1, 'submitted');
  await flow(communes[6], 7, 'review');
  await flow(communes[7], 8, 'approved');
  await flow(communes[8], 9, 'draft');
  const hn = await getReport(null, DEMO_REGIME, period, '01');
  print(`reporting: Hà Nội rolled up from ${hn.completeness?.submitted ?? 0} of ${hn.completeness?.expected ?? 0} communes`);
}
