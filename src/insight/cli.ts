// `govflow insight rebuild [--dry-run]`: recounts the statistics rollups from the dossiers and prints every difference.
import { parseArgs } from 'node:util';
import type { Command } from '../main.ts';

const out = (line: string) => process.stdout.write(line + '\n');
const USAGE = 'insight rebuild [--dry-run]';

/** The `insight` command. */
export const insightCommand: Command = {
  name: 'insight',
  usage: `${USAGE}   recount the public statistics from the dossiers; prints each difference as JSON, exits 1 when any (docs/insight.md)`,
  needsStore: true,
  async run(args) {
    const [sub, ...rest] = args;
    const { values } = parseArgs({ args: rest, options: { 'dry-run': { type: 'boolean' } } });
    if (sub !== 'rebuild') throw Object.assign(new Error(`usage: govflow ${USAGE}`), { isUsage: true });
    const { rebuildStatistics } = await import('./service.ts');
    const r = await rebuildStatistics({ dryRun: values['dry-run'] });
    for (const d of r.differences) out(JSON.stringify(d));
    out(JSON.stringify({ dossiers: r.dossiers, differences: r.differences.length, rewritten: !values['dry-run'] && r.differences.length > 0 }));
    return r.differences.length ? 1 : 0;
  },
};
