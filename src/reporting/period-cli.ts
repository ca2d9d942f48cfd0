// `govflow period FREQUENCY DATE`: the reporting period whose cut-off window holds a date, for scripts.
import type { Command } from '../main.ts';
import { FREQUENCIES, periodContaining, type Frequency } from './periods.ts';

const USAGE = `period ${FREQUENCIES.join('|')} DATE   the period whose data cut-off window holds DATE (YYYY-MM-DD or an ISO instant, read in Vietnam time) as JSON {period, cutoffStart, cutoffEnd, deadline}`;

/** `period FREQUENCY DATE`. */
export const periodCommand: Command = {
  name: 'period',
  usage: USAGE,
  needsStore: false,
  async run(args) {
    const [frequency, date, ...rest] = args;
    if (!frequency || !date || rest.length) throw Object.assign(new Error(`usage: govflow ${USAGE}`), { isUsage: true });
    // periodContaining checks the frequency itself and answers a bad one with its catalog message.
    const p = periodContaining(frequency as Frequency, date);
    process.stdout.write(JSON.stringify({ period: p.period, cutoffStart: p.cutoffStart, cutoffEnd: p.cutoffEnd, deadline: p.deadline }) + '\n');
    return 0;
  },
};
