// The govflow command line: serve | migrate | seed | import | user | audit, plus the domains' commands.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { getConfig, ConfigError } from './config.ts';
import { initStore, closeStore } from './store/index.ts';
import { migrate } from './store/migrate.ts';
import { AppError } from './errors.ts';
import { t } from './i18n/index.ts';
import type { Role } from './auth/models.ts';

/** One CLI command: `govflow <name> …`. */
export interface Command {
  name: string;
  usage: string;
  /** Whether the database must be open (and migrated) before run. */
  needsStore: boolean;
  run(args: string[]): Promise<number | void>;
}

const out = (line: string) => process.stdout.write(line + '\n');

const core: Command[] = [
  {
    name: 'serve',
    usage: 'serve                         start the web server (migrates, seeds demo data on a fresh development database)',
    needsStore: true,
    async run() {
      const started = Date.now();
      const cfg = getConfig();
      const { isEmpty, seedDemo } = await import('./seed.ts');
      if (cfg.seedDemo && (await isEmpty())) {
        out('Fresh database: seeding demo data …');
        await seedDemo(out);
      }
      const { createServer } = await import('./web/server.ts');
      const server = await createServer();
      await server.start();
      out(`govflow listening on ${server.info.uri} (${cfg.baseUrl}) — ready in ${Date.now() - started} ms`);
      const stop = async () => {
        await server.stop({ timeout: 5000 });
        await closeStore();
        process.exit(0);
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      return new Promise<never>(() => {});
    },
  },
  {
    name: 'migrate',
    usage: 'migrate                       apply pending database migrations',
    needsStore: false,
    async run() {
      await initStore(getConfig().databaseUrl);
      const applied = await migrate();
      out(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    },
  },
  {
    name: 'seed',
    usage: 'seed                          load the 2025 org tree, the ministries and the demo users',
    needsStore: true,
    async run() {
      const { seedDemo } = await import('./seed.ts');
      await seedDemo(out);
    },
  },
  {
    name: 'import',
    usage: 'import orgs FILE [--tree NAME] [--valid-from YYYY-MM-DD]   import org units from CSV',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { tree: { type: 'string' }, 'valid-from': { type: 'string' } } });
      if (positionals[0] !== 'orgs' || !positionals[1]) throw usageError('import orgs FILE [--tree NAME]');
      const { importOrgs } = await import('./orgs/import.ts');
      const r = await importOrgs(fs.readFileSync(positionals[1]), { tree: values.tree, validFrom: values['valid-from'] ?? null });
      out(`imported ${r.rows} rows (${r.format}) into tree "${r.tree}": ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged in ${r.ms} ms`);
    },
  },
  {
    name: 'user',
    usage: 'user add USERNAME --name NAME --password PW --role ROLE [--org CODE] [--email E]   create a user',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { name: { type: 'string' }, password: { type: 'string' }, role: { type: 'string' }, org: { type: 'string' }, email: { type: 'string' } } });
      if (positionals[0] !== 'add' || !positionals[1] || !values.name || !values.password || !values.role) throw usageError('user add USERNAME --name NAME --password PW --role ROLE [--org CODE]');
      const { createUser } = await import('./auth/service.ts');
      const u = await createUser({ username: positionals[1], fullName: values.name, password: values.password, email: values.email, orgCode: values.org ?? null, roles: [{ role: values.role as Role, orgCode: values.org ?? null }] }, null);
      out(`created user ${u.username} (id ${u.id})`);
    },
  },
  {
    name: 'audit',
    usage: 'audit verify                  check the audit log hash chain; exits 1 at the first altered, inserted or deleted row',
    needsStore: true,
    async run(args) {
      if (args[0] !== 'verify') throw usageError('audit verify');
      const { verifyAudit } = await import('./audit/service.ts');
      const r = await verifyAudit();
      if (r.ok) {
        out(`audit log intact: ${r.rows} rows`);
        return 0;
      }
      out(`audit log BROKEN at row ${r.problem!.seq} (${r.problem!.kind}): ${r.problem!.message}`);
      return 1;
    },
  },
];

/** Every command, the core ones and those the domains add. */
export const commands: Command[] = [...core];
commands.push({ name: 'form', usage: 'form xlsx CODE OUT.xlsx | form read CODE FILE.xlsx | form pdf CODE VALUES.json OUT.pdf   Excel template, read a filled file (JSON), PDF', needsStore: true, run: async (args) => (await import('./forms/cli.ts')).formCommand.run(args) });
commands.push(...(await import('./engine/cli.ts')).engineCommands);
commands.push({ name: 'notify', usage: (await import('./notify/cli.ts')).notifyCommand.usage, needsStore: true, run: async (args) => (await import('./notify/cli.ts')).notifyCommand.run(args) });

function usageError(usage: string): Error {
  return Object.assign(new Error(`usage: govflow ${usage}`), { isUsage: true });
}

function help(): void {
  out('govflow — BPMN-driven government reporting and case handling\n\nUsage: govflow <command>\n');
  for (const c of commands) out(`  ${c.usage}`);
}

/** Runs the CLI with argv (without node and script). */
export async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  const cmd = commands.find((c) => c.name === name);
  if (!cmd) {
    help();
    return name && name !== 'help' && name !== '--help' ? 2 : 0;
  }
  try {
    if (cmd.needsStore) {
      await initStore(getConfig().databaseUrl);
      await migrate();
    }
    const code = await cmd.run(args);
    return code ?? 0;
  } catch (err) {
    if (err instanceof ConfigError) process.stderr.write(err.message + '\n');
    else if (err instanceof AppError) {
      process.stderr.write(`error: ${t('en', err.code, err.params)}\n`);
      if (Array.isArray(err.details)) for (const d of err.details) process.stderr.write(`  - ${typeof d === 'string' ? d : (d as { message?: string }).message ?? JSON.stringify(d)}\n`);
      return err.status >= 500 ? 1 : 1;
    } else if ((err as { isUsage?: boolean }).isUsage) {
      process.stderr.write((err as Error).message + '\n');
      return 2;
    } else process.stderr.write(String((err as Error).stack ?? err) + '\n');
    return 1;
  } finally {
    if (cmd.name !== 'serve') await closeStore();
  }
}

if (process.argv[1] && /(main\.ts|govflow(\.js)?)$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
