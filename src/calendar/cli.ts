// `govflow calendar add-holiday FROM [TO] --name NAME | add-workday DATE [--name NAME] | due RECEIVED_AT DAYS | list YEAR`.
import { parseArgs } from 'node:util';
import type { Command } from '../main.ts';
import { toVnIso } from '../time.ts';
import { t } from '../i18n/index.ts';

const out = (line: string) => process.stdout.write(line + '\n');
const USAGE = 'calendar add-holiday FROM [TO] --name NAME | calendar add-workday DATE [--name NAME] | calendar due RECEIVED_AT DAYS | calendar list YEAR';

function usage(): Error {
  return Object.assign(new Error(`usage: govflow ${USAGE}`), { isUsage: true });
}

/** Reads an instant: ISO 8601 with an offset, or a Vietnam local date-time (`2026-12-01T09:30`, `2026-12-01 09:30`). */
export function parseInstant(text: string): Date {
  const s = text.trim().replace(' ', 'T');
  const local = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$/.test(s);
  return new Date(local ? `${s.length === 10 ? `${s}T00:00` : s}+07:00` : s);
}

/** The `calendar` command. */
export const calendarCommand: Command = {
  name: 'calendar',
  usage: `${USAGE}   working-day calendar: days off, compensating working days, due dates (docs/calendar.md)`,
  needsStore: true,
  async run(args) {
    const [sub, ...rest] = args;
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { name: { type: 'string' } } });
    const service = await import('./service.ts');
    if (sub === 'add-holiday') {
      if (!positionals[0] || !values.name || positionals.length > 2) throw usage();
      const rows = await service.setDays({ from: positionals[0], to: positionals[1] ?? null, kind: 'holiday', name: values.name }, null);
      out(`days off: ${rows.map((r) => r.date).join(', ')} (${values.name})`);
      return 0;
    }
    if (sub === 'add-workday') {
      if (positionals.length !== 1) throw usage();
      const rows = await service.setDays({ from: positionals[0], kind: 'workday', name: values.name ?? t('vi', 'calendar.holidays.workday') }, null);
      out(`working day: ${rows[0].date} (${rows[0].name})`);
      return 0;
    }
    if (sub === 'due') {
      if (positionals.length !== 2) throw usage();
      const days = Number(positionals[1].replace(',', '.'));
      const r = await service.dueDate(parseInstant(positionals[0]), days);
      out(JSON.stringify({ receivedAt: toVnIso(r.receivedAt), deemedReceivedAt: toVnIso(r.deemedReceivedAt), countedFrom: toVnIso(r.countedFrom), due: toVnIso(r.due), days }));
      return 0;
    }
    if (sub === 'list') {
      if (positionals.length !== 1) throw usage();
      for (const d of await service.listYear(Number(positionals[0]))) out(`${d.date}  ${d.isOff ? 'off ' : 'work'}  ${d.source.padEnd(12)}  ${d.name}`);
      return 0;
    }
    throw usage();
  },
};
