// The reporting CLI for operators and scripts: regimes (list, import, export), cycles (open, status)
// and submitting one unit's report from a file as the unit's officer, through the same checks as the web.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import type { Command } from '../main.ts';

const out = (line: string) => process.stdout.write(line + '\n');

function usage(text: string): Error {
  return Object.assign(new Error(`usage: govflow ${text}`), { isUsage: true });
}

/** `regime`, `cycle`, `report`. */
export const reportingCommands: Command[] = [
  {
    name: 'regime',
    usage: 'regime list [--json] | regime import FILE.json | regime export CODE [--out FILE.json]   reporting regimes',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' }, out: { type: 'string' } } });
      const s = await import('./service.ts');
      const [sub, arg] = positionals;
      if (sub === 'list') {
        const list = await s.listRegimes();
        if (values.json) out(JSON.stringify(list.map(s.exportRegime), null, 2));
        else for (const r of list) out(`${r.code.padEnd(20)} ${r.frequency.padEnd(9)} ${`${r.formKey}@${r.formVersion}`.padEnd(20)} ${r.name}`);
        return 0;
      }
      if (sub === 'import' && arg) {
        const { regime, isNew } = await s.importRegime(null, JSON.parse(fs.readFileSync(arg, 'utf8')));
        out(`${isNew ? 'created' : 'updated'} regime ${regime.code} (${regime.formKey}@${regime.formVersion}, ${regime.frequency})`);
        return 0;
      }
      if (sub === 'export' && arg) {
        const text = JSON.stringify(s.exportRegime(await s.getRegime(arg)), null, 2);
        if (values.out) fs.writeFileSync(values.out, text + '\n');
        else out(text);
        return 0;
      }
      throw usage('regime list [--json] | regime import FILE.json | regime export CODE [--out FILE.json]');
    },
  },
  {
    name: 'cycle',
    usage: 'cycle open REGIME PERIOD | cycle status REGIME PERIOD [--json]   open a period (one report per unit; safe to repeat) or count its reports',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
      const s = await import('./service.ts');
      const [sub, regime, period] = positionals;
      if (sub === 'open' && regime && period) {
        // The reports are there when this returns; a running server's job worker starts their instances
        // (and a report's first action starts its own when the worker has not come to it yet).
        const r = await s.openCycle(regime, period);
        out(JSON.stringify({ created: r.created, existing: r.existing }));
        return 0;
      }
      if (sub === 'status' && regime && period) {
        const st = await s.cycleStatus(regime, period);
        const { expected, submitted, onTime, late, missing, approved, returned } = st;
        if (values.json) out(JSON.stringify({ expected, submitted, onTime, late, missing, approved, returned }));
        else out(`${regime} ${st.period} (${st.status}): expected ${expected}, submitted ${submitted} (on time ${onTime}, late ${late}), missing ${missing}, approved ${approved}, returned ${returned}`);
        return 0;
      }
      throw usage('cycle open REGIME PERIOD | cycle status REGIME PERIOD [--json]');
    },
  },
  {
    name: 'report',
    usage: 'report submit REGIME PERIOD UNIT FILE.xlsx|FILE.json [--as USERNAME]   save a unit\'s values and send them to its leader (as the unit\'s officer)',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { as: { type: 'string' } } });
      const [sub, regime, period, unit, file] = positionals;
      if (sub !== 'submit' || !regime || !period || !unit || !file) throw usage('report submit REGIME PERIOD UNIT FILE.xlsx|FILE.json [--as USERNAME]');
      const s = await import('./service.ts');
      const viewer = await s.officerOf(unit, values.as);
      const bytes = fs.readFileSync(file);
      if (/\.xlsx$/i.test(file)) await s.uploadReport(viewer, regime, period, unit, bytes);
      const input = /\.xlsx$/i.test(file) ? (await s.getReport(viewer, regime, period, unit)).values : JSON.parse(bytes.toString('utf8'));
      const body = input && typeof input === 'object' && 'values' in input ? input : { values: input };
      const r = await s.saveReport(viewer, regime, period, unit, body.values, { submit: true, explanations: body.explanations, via: 'cli' });
      out(JSON.stringify({ unit: r.unit, period: r.period, status: r.status, round: r.round }));
      return 0;
    },
  },
];
