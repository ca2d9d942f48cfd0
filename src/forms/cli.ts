// `govflow form xlsx|read|pdf …`: the forms commands of the CLI.
import fs from 'node:fs';
import type { Command } from '../main.ts';
import { AppError } from '../errors.ts';
import { t } from '../i18n/index.ts';
import { findFormKey, getFormVersion, getPublished, planOf, type FormVersionView } from './service.ts';
import { renderXlsx, readXlsx, identityOf, loadWorkbook } from './xlsx.ts';
import { renderPdf } from './pdf.ts';

const usage = 'form xlsx CODE OUT.xlsx | form read CODE FILE.xlsx | form pdf CODE VALUES.json OUT.pdf   Excel template, read a filled file (JSON), PDF';

async function formFor(code: string): Promise<FormVersionView> {
  const key = await findFormKey(code);
  // The latest published version; a form that was never published falls back to its draft.
  return getPublished(key).catch(() => getFormVersion(key));
}

function usageError(): Error {
  return Object.assign(new Error(`usage: govflow ${usage}`), { isUsage: true });
}

/** The `form` command. */
export const formCommand: Command = {
  name: 'form',
  usage,
  needsStore: true,
  async run(args) {
    const [sub, code, a, b] = args;
    if (!sub || !code) throw usageError();
    if (sub === 'xlsx') {
      if (!a) throw usageError();
      const form = await formFor(code);
      fs.writeFileSync(a, await renderXlsx(form.definition, { version: form.version }, planOf(form)));
      process.stdout.write(`${form.definition.code} v${form.version} → ${a}\n`);
      return 0;
    }
    if (sub === 'read') {
      if (!a) throw usageError();
      const form = await formFor(code);
      const buf = fs.readFileSync(a);
      // A file of another version of the same form is read against that version.
      const id = identityOf(await loadWorkbook(buf));
      const target = id && id.key === form.key && id.version !== form.version ? await getFormVersion(form.key, id.version).catch(() => form) : form;
      try {
        const values = await readXlsx(target.definition, target.version, buf, 'vi', planOf(target));
        process.stdout.write(JSON.stringify({ form: target.key, code: target.definition.code, version: target.version, values }, null, 2) + '\n');
        return 0;
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        const errors = Array.isArray(err.details) ? err.details : [{ message: t('vi', err.code, err.params) }];
        process.stdout.write(JSON.stringify({ form: target.key, code: target.definition.code, version: target.version, error: t('vi', err.code, err.params), errors }, null, 2) + '\n');
        return 1;
      }
    }
    if (sub === 'pdf') {
      if (!a || !b) throw usageError();
      const form = await formFor(code);
      const input = JSON.parse(fs.readFileSync(a, 'utf8'));
      const values = input && typeof input === 'object' && 'values' in input ? input.values : input;
      fs.writeFileSync(b, await renderPdf(form.definition, { values, period: input?.period, orgName: input?.orgName }, planOf(form)));
      process.stdout.write(`${form.definition.code} v${form.version} → ${b}\n`);
      return 0;
    }
    throw usageError();
  },
};
