// Data-entry island: recomputes formulas, totals and rules on every keystroke with the server's own
// engine (same feelin package), and shows messages next to the cells and in the summary.
import { compile, evaluateForm, getValue, setValue, type Issue } from '../../forms/engine.ts';
import { parseVnNumber, formatVnNumber } from '../../forms/numbers.ts';
import { issueText } from '../../forms/messages.ts';
import type { FormDefinition, FormValues } from '../../forms/definition.ts';

interface Boot {
  definition: FormDefinition;
  catalog: Record<string, string>;
  /** Values of the previous period, for rules that read `prev`. */
  prev?: FormValues | null;
}

const bootEl = document.getElementById('forms-boot');
const form = document.getElementById('entry-form') as HTMLFormElement | null;
if (bootEl && form) {
  const boot = JSON.parse(bootEl.textContent ?? '{}') as Boot;
  const plan = compile(boot.definition);
  const lookup = (k: string) => boot.catalog[k] ?? k;

  const readValues = (): FormValues => {
    const values: FormValues = {};
    for (const c of plan.inputs) {
      const el = form.elements.namedItem(c.key) as HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement | null;
      if (!el || !('value' in el)) continue;
      if (c.field?.type === 'file') {
        // The bytes go to the server with the form; for the live checks a chosen or saved file counts as a value.
        const input = el as HTMLInputElement;
        if (input.files?.length || input.dataset.hasFile) setValue(values, c.key, { sha256: '0'.repeat(64), name: input.files?.[0]?.name ?? '', size: input.files?.[0]?.size ?? 0, type: '' });
        continue;
      }
      const raw = el.value.trim();
      if (raw === '') continue;
      if (c.numeric) setValue(values, c.key, parseVnNumber(raw) ?? raw);
      else if (c.field?.type === 'boolean') setValue(values, c.key, raw === 'true');
      else setValue(values, c.key, raw);
    }
    return values;
  };

  const explanations = document.getElementById('explanations');
  const summary = document.getElementById('entry-summary');

  const showIssues = (issues: Issue[]) => {
    for (const el of form.querySelectorAll<HTMLElement>('[data-msg]')) el.textContent = '';
    for (const el of form.querySelectorAll('.has-error, .has-warning')) el.classList.remove('has-error', 'has-warning');
    const list = document.createElement('ul');
    for (const i of issues) {
      const text = issueText(i, lookup);
      const li = document.createElement('li');
      li.className = i.severity;
      li.textContent = text;
      if (i.rule) li.dataset.rule = i.rule;
      list.append(li);
      if (!i.target) continue;
      const msg = form.querySelector<HTMLElement>(`[data-msg="${CSS.escape(i.target)}"]`);
      if (msg) {
        msg.textContent = `${msg.textContent ?? ''}${text} `;
        msg.classList.toggle('warning', i.severity === 'warning');
        msg.closest('td, .field-row')?.classList.add(i.severity === 'error' ? 'has-error' : 'has-warning');
      }
    }
    if (summary) {
      if (!issues.length) list.append(Object.assign(document.createElement('li'), { className: 'hint', textContent: lookup('forms.builder.noProblems') }));
      summary.replaceChildren(list);
      summary.classList.toggle('ok', issues.length === 0);
    }
    // Every warning needs an explanation box; boxes of warnings that went away are hidden, not lost.
    if (explanations) {
      const wanted = new Map(issues.filter((i) => i.severity === 'warning' && i.rule).map((i) => [i.rule!, issueText(i, lookup)]));
      for (const box of explanations.querySelectorAll<HTMLElement>('[data-expl]')) box.hidden = !wanted.has(box.dataset.expl!);
      for (const [rule, text] of wanted) {
        if (explanations.querySelector(`[data-expl="${CSS.escape(rule)}"]`)) continue;
        const box = document.createElement('div');
        box.className = 'stack';
        box.dataset.expl = rule;
        const label = document.createElement('label');
        label.htmlFor = `expl-${rule}`;
        label.textContent = `${lookup('forms.entry.explanation')}: ${text}`;
        const area = document.createElement('textarea');
        area.id = `expl-${rule}`;
        area.name = `expl.${rule}`;
        area.rows = 2;
        box.append(label, area);
        explanations.append(box);
      }
    }
  };

  const recompute = () => {
    const ev = evaluateForm(plan, readValues(), boot.prev ?? null);
    for (const c of plan.order) {
      const out = form.querySelector<HTMLElement>(`[data-computed="${CSS.escape(c.key)}"]`);
      if (!out) continue;
      const v = getValue(ev.values, c.key);
      out.textContent = typeof v === 'number' ? formatVnNumber(v, c.decimals) : v === null || v === undefined ? '' : String(v);
    }
    showIssues(ev.issues);
  };

  // Large forms recompute once typing pauses; small ones on every keystroke.
  const isLarge = plan.cells.size > 400;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedule = () => {
    if (!isLarge) return recompute();
    clearTimeout(timer);
    timer = setTimeout(recompute, 150);
  };
  form.addEventListener('input', schedule);
  form.addEventListener('change', schedule);
  // Reformat a number the Vietnamese way when the officer leaves its cell.
  form.addEventListener('focusout', (e) => {
    const el = e.target as HTMLInputElement;
    if (!el.classList?.contains('num') || el.readOnly) return;
    const n = parseVnNumber(el.value);
    const cell = plan.cells.get(el.name);
    if (n !== null && cell) el.value = formatVnNumber(n);
  });
  form.dataset.live = 'ready';
  recompute();
}
