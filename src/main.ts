// The govflow command line: serve | migrate | seed | import | user | audit, plus the domains' commands.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { getConfig, ConfigError } from './config.ts';
import { initStore, closeStore } from './store/index.ts';
import { migrate, withStartupLock } from './store/migrate.ts';
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
      const { seedIfEmpty } = await import('./seed.ts');
      if (cfg.seedDemo) await seedIfEmpty(out);
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
    usage: 'seed                          load the 2025 org tree, the ministries, the shipped procedures and the demo users',
    needsStore: true,
    async run() {
      const { seedDemo } = await import('./seed.ts');
      await withStartupLock(() => seedDemo(out));
    },
  },
  {
    name: 'import',
    usage: 'import orgs FILE [--tree NAME] [--valid-from YYYY-MM-DD] | import procedures FILE   import org units or procedures from CSV',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { tree: { type: 'string' }, 'valid-from': { type: 'string' } } });
      if (positionals[0] === 'procedures' && positionals[1] && positionals.length === 2) {
        const { importProcedures } = await import('./catalog/service.ts');
        const r = await importProcedures(fs.readFileSync(positionals[1]), null, positionals[1]);
        out(`imported ${r.rows} procedures: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged in ${r.ms} ms`);
        return;
      }
      if (positionals[0] !== 'orgs' || !positionals[1]) throw usageError('import orgs FILE [--tree NAME] | import procedures FILE');
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
    usage: 'audit verify [--checkpoint FILE [--public-key PEM]] | audit checkpoint [--out FILE] | audit checkpoint --public-key   check the keyed audit chain (exit 1 at the first broken row), write or check a signed checkpoint (docs/audit.md)',
    needsStore: true,
    async run(args) {
      const [sub, ...rest] = args;
      if (sub === 'verify') {
        const { values } = parseArgs({ args: rest, options: { checkpoint: { type: 'string' }, 'public-key': { type: 'string' } } });
        if (values.checkpoint) {
          const { verifyCheckpoint } = await import('./audit/checkpoint.ts');
          const r = await verifyCheckpoint(values.checkpoint, { publicKeyPem: values['public-key'] ? fs.readFileSync(values['public-key'], 'utf8') : undefined });
          if (!r.ok) {
            out(`audit checkpoint FAILED: ${r.problem}`);
            return 1;
          }
          out(`audit checkpoint holds: row ${r.checkpoint!.lastSeq} (${r.checkpoint!.count} rows, taken ${r.checkpoint!.at}) is still in the chain; audit log intact: ${r.chain!.rows} rows`);
          return 0;
        }
        const { verifyAudit } = await import('./audit/service.ts');
        const r = await verifyAudit();
        if (r.ok) {
          out(`audit log intact: ${r.rows} rows`);
          return 0;
        }
        out(`audit log BROKEN at row ${r.problem!.seq} (${r.problem!.kind}): ${r.problem!.message}`);
        return 1;
      }
      if (sub === 'checkpoint') {
        const { values } = parseArgs({ args: rest, options: { out: { type: 'string' }, 'public-key': { type: 'boolean' } } });
        const { checkpointPublicKey, writeCheckpoint, BrokenChainError } = await import('./audit/checkpoint.ts');
        if (values['public-key']) {
          process.stdout.write(checkpointPublicKey());
          return 0;
        }
        try {
          const file = values.out ?? `audit-checkpoint-${Date.now()}.json`;
          const cp = await writeCheckpoint(file);
          out(`checkpoint of row ${cp.lastSeq} (${cp.count} rows, key ${cp.keyId ?? 'none'}) written to ${file}, signature to ${file}.sig`);
          return 0;
        } catch (err) {
          if (!(err instanceof BrokenChainError)) throw err;
          out(`no checkpoint written: ${err.message}`);
          return 1;
        }
      }
      throw usageError('audit verify [--checkpoint FILE] | audit checkpoint [--out FILE] | audit checkpoint --public-key');
    },
  },
];

/** Every command, the core ones and those the domains add. */
export const commands: Command[] = [...core];
commands.push({ name: 'form', usage: 'form xlsx CODE OUT.xlsx | form read CODE FILE.xlsx | form pdf CODE VALUES.json OUT.pdf   Excel template, read a filled file (JSON), PDF', needsStore: true, run: async (args) => (await import('./forms/cli.ts')).formCommand.run(args) });
commands.push(...(await import('./engine/cli.ts')).engineCommands);
commands.push(...(await import('./signing/cli.ts')).signingCommands);
commands.push(...(await import('./reporting/cli.ts')).reportingCommands);
commands.push({ name: 'notify', usage: (await import('./notify/cli.ts')).notifyCommand.usage, needsStore: true, run: async (args) => (await import('./notify/cli.ts')).notifyCommand.run(args) });
commands.push((await import('./reporting/period-cli.ts')).periodCommand);

commands.push({ name: 'calendar', usage: (await import('./calendar/cli.ts')).calendarCommand.usage, needsStore: true, run: async (args) => (await import('./calendar/cli.ts')).calendarCommand.run(args) });
commands.push((await import('./engine-rest/cli.ts')).apiClientCommand);
commands.push({ name: 'insight', usage: (await import('./insight/cli.ts')).insightCommand.usage, needsStore: true, run: async (args) => (await import('./insight/cli.ts')).insightCommand.run(args) });

function usageError(usage: string): Error {
  return Object.assign(new Error(`usage: govflow ${usage}`), { isUsage: true });
}

/**
 * An unexpected error as an operator needs it: Sequelize wraps the database's own error (duplicate key, lock wait,
 * unknown column) in `original`/`parent` and lists validation failures in `errors`, none of which its stack shows.
 */
export function describeError(err: unknown): string {
  const e = err as { stack?: string; original?: { code?: string; errno?: number; sqlMessage?: string; message?: string }; parent?: unknown; sql?: string; errors?: Array<{ message?: string; path?: string; value?: unknown }> };
  const stack = String(e?.stack ?? err);
  // Sequelize's errors capture their stack before their message is set, so the stack's first line is a bare "Error".
  const title = err instanceof Error ? `${err.name}: ${err.message}` : stack;
  const lines = [stack.startsWith(title) ? stack : `${title}\n${stack.split('\n').slice(1).join('\n')}`];
  const cause = e?.original ?? (e?.parent as typeof e.original);
  if (cause) lines.push(`  database error: ${[cause.code, cause.errno].filter(Boolean).join(' ')} ${cause.sqlMessage ?? cause.message ?? ''}`.trimEnd());
  if (e?.sql) lines.push(`  sql: ${e.sql.length > 500 ? `${e.sql.slice(0, 500)} …` : e.sql}`);
  for (const item of e?.errors ?? []) lines.push(`  - ${item.path ?? ''}: ${item.message ?? ''} (value ${JSON.stringify(item.value)?.slice(0, 100)})`);
  return lines.join('\n');
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
    } else process.stderr.write(describeError(err) + '\n');
    return 1;
  } finally {
    if (cmd.name !== 'serve') await closeStore();
  }
}

if (process.argv[1] && /(main\.ts|govflow(\.js)?)$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
