// The engine's CLI commands for administrators and scripts; they work on the configured database
// while servers run (their job workers fire the timers that follow).
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../main.ts';
import { AppError } from '../errors.ts';
import { t } from '../i18n/index.ts';

const out = (line: string) => process.stdout.write(line + '\n');
const err = (line: string) => process.stderr.write(line + '\n');

function usage(text: string): Error {
  return Object.assign(new Error(`usage: govflow ${text}`), { isUsage: true });
}

function json(text: string | undefined, what: string): Record<string, unknown> {
  if (!text) return {};
  const v = JSON.parse(text);
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw usage(`${what} must be a JSON object`);
  return v;
}

/** `deploy`, `start`, `tasks`, `complete`, `instance`. */
export const engineCommands: Command[] = [
  {
    name: 'deploy',
    usage: 'deploy FILE.bpmn               deploy a process (prints key and version, or every problem and exits 1)',
    needsStore: true,
    async run(args) {
      const file = args[0];
      if (!file) throw usage('deploy FILE.bpmn');
      const { deployDefinition } = await import('./service.ts');
      try {
        const r = await deployDefinition(fs.readFileSync(file, 'utf8'), { sourceName: path.basename(file), deployedBy: 'cli' });
        out(`${r.key} ${r.version}${r.isNew ? '' : ' (unchanged)'}`);
        for (const w of r.warnings) err(`warning: ${t('en', w.code, w.params)}`);
        return 0;
      } catch (e) {
        if (e instanceof AppError && Array.isArray(e.details)) {
          err(`error: ${t('en', e.code, e.params)}`);
          for (const p of e.details as Array<{ code: string; params: Record<string, unknown> }>) err(`  - ${t('en', p.code, p.params)}`);
          return 1;
        }
        throw e;
      }
    },
  },
  {
    name: 'start',
    usage: 'start KEY [--business-key K] [--vars JSON]   start an instance (prints its id)',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { 'business-key': { type: 'string' }, vars: { type: 'string' } } });
      if (!positionals[0]) throw usage('start KEY [--business-key K] [--vars JSON]');
      const { startProcess } = await import('./service.ts');
      const instance = await startProcess(positionals[0], { businessKey: values['business-key'] ?? null, variables: json(values.vars, '--vars'), startedBy: 'cli' });
      out(instance.id);
    },
  },
  {
    name: 'tasks',
    usage: 'tasks [--json] [--instance ID]   open tasks',
    needsStore: true,
    async run(args) {
      const { values } = parseArgs({ args, options: { json: { type: 'boolean' }, instance: { type: 'string' } } });
      const { EngineTask } = await import('./models.ts');
      const { presentTask } = await import('./service.ts');
      const rows = (await EngineTask.findAll({ where: { status: 'open', ...(values.instance ? { instanceId: values.instance } : {}) }, order: [['id', 'ASC']], limit: 10000 })).map(presentTask);
      if (values.json) out(JSON.stringify(rows, null, 2));
      else for (const r of rows) out(`${r.id}\t${r.processKey}\t${r.businessKey ?? ''}\t${r.elementId}\t${r.name ?? ''}\t${r.assignee ?? ''}\t${r.candidateGroups.join(',')}`);
    },
  },
  {
    name: 'complete',
    usage: 'complete TASK_ID [--vars JSON]   complete a task as the administrator (exits 2 when the instance stopped at an incident)',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { vars: { type: 'string' } } });
      const id = Number(positionals[0]);
      if (!Number.isInteger(id)) throw usage('complete TASK_ID [--vars JSON]');
      const { completeTaskAsSystem } = await import('./service.ts');
      const { EngineIncident } = await import('./models.ts');
      const { Op } = await import('sequelize');
      const before = Number(await EngineIncident.max('id')) || 0;
      const instance = await completeTaskAsSystem(id, json(values.vars, '--vars'), 'cli');
      out(`${instance.id} ${instance.status}`);
      // A script must know when the instance did not move on: the completion stopped at an incident.
      const stuck = await EngineIncident.findAll({ where: { instanceId: instance.id, status: 'open', id: { [Op.gt]: before } }, order: [['id', 'ASC']] });
      for (const i of stuck) err(`incident ${i.id} at ${i.elementId}: ${i.code ? t('en', i.code, i.paramsObject()) : i.error}`);
      return stuck.length || instance.status === 'failed' ? 2 : 0;
    },
  },
  {
    name: 'instance',
    usage: 'instance ID [--json]           status, active elements, variables and history of an instance',
    needsStore: true,
    async run(args) {
      const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean' } } });
      if (!positionals[0]) throw usage('instance ID [--json]');
      const { getInstance } = await import('./service.ts');
      const i = await getInstance(positionals[0]);
      if (values.json) {
        out(JSON.stringify(i, null, 2));
        return;
      }
      out(`${i.id} ${i.definitionKey} v${i.definitionVersion} ${i.status}${i.businessKey ? ` ${i.businessKey}` : ''}`);
      out(`active: ${i.activeElements.map((a) => a.id).join(', ') || '-'}`);
      out(`variables: ${JSON.stringify(i.variables)}`);
      for (const h of i.history) out(`  ${new Date(h.at).toISOString()} ${h.event} ${h.elementId ?? ''}${h.actor ? ` by ${h.actor}` : ''}${h.comment ? `: ${h.comment}` : ''}`);
    },
  },
];
