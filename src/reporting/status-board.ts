// The national status board: for every regime, its current cycle's units on time, late and missing
// (inside the viewer's scope), each leading to the regime's dashboard by province.
import { cycleStatus, listRegimes } from './service.ts';
import { periodContaining, periodLabel } from './periods.ts';
import { scopePaths, type Viewer } from '../access/index.ts';
import { AppError } from '../errors.ts';
import type { Locale } from '../i18n/index.ts';

/** One regime's line on the board. */
export interface BoardRow { code: string; name: string; period: string; periodText: string; expected: number; submitted: number; onTime: number; late: number; missing: number; href: string }

/** The current cycle of every regime with its counts; regimes whose cycle is not open yet are left out. */
export async function statusBoard(viewer: Viewer, locale: Locale, at = new Date()): Promise<BoardRow[]> {
  const scope = scopePaths(viewer);
  const rows: BoardRow[] = [];
  for (const r of await listRegimes()) {
    const period = periodContaining(r.frequency, at).period;
    try {
      const s = await cycleStatus(r.code, period, scope);
      if (!s.expected) continue;
      rows.push({ code: r.code, name: r.name, period, periodText: periodLabel(period, locale), expected: s.expected, submitted: s.submitted, onTime: s.onTime, late: s.late, missing: s.missing, href: `/reporting/${encodeURIComponent(r.code)}/${encodeURIComponent(period)}/dashboard` });
    } catch (err) {
      if (!(err instanceof AppError) || err.status !== 404) throw err;
    }
  }
  return rows;
}
