// Builder island: edits a definition (sections, fields, indicator tables, columns, formulas, rules),
// checks it with the server's own engine on every keystroke and keeps the JSON textarea in sync.
import { compile, type Issue, type Plan } from '../../forms/engine.ts';
import { issueText } from '../../forms/messages.ts';
import { FIELD_TYPES, COLUMN_TYPES, MISSING, PERIOD_KINDS, ROLLUPS, type ChoiceOption, type FormDefinition } from '../../forms/definition.ts';

interface Boot {
  key: string;
  version: number;
  isDraft: boolean;
  definition: FormDefinition;
  catalog: Record<string, string>;
}

type Attrs = Record<string, string | boolean | undefined>;
type Child = Node | string | null | undefined | false;

function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  for (const c of children) if (c) el.append(c);
  return el;
}

const bootEl = document.getElementById('forms-boot');
const root = document.getElementById('builder-root');
const textarea = document.getElementById('definition-json') as HTMLTextAreaElement | null;
const problemsBox = document.getElementById('builder-problems');

if (bootEl && root && textarea) {
  const boot = JSON.parse(bootEl.textContent ?? '{}') as Boot;
  const L = (k: string) => boot.catalog[k] ?? k;
  let def: FormDefinition = boot.definition;
  const readOnly = !boot.isDraft;

  const getAt = (path: string): unknown => path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], def);
  const setAt = (path: string, value: unknown) => {
    const parts = path.split('.');
    const last = parts.pop()!;
    const parent = parts.reduce<Record<string, unknown>>((o, k) => (o[k] ??= {}) as Record<string, unknown>, def as unknown as Record<string, unknown>);
    if (value === undefined || value === '') delete parent[last];
    else parent[last] = value;
  };

  const usedIds = () => {
    const ids = new Set<string>();
    for (const s of def.sections) {
      ids.add(s.id);
      for (const f of s.fields ?? []) ids.add(f.id);
      for (const tb of s.tables ?? []) {
        ids.add(tb.id);
        for (const r of tb.rows) ids.add(r.id);
        for (const c of tb.columns) ids.add(c.id);
      }
    }
    for (const r of def.rules ?? []) ids.add(r.id);
    return ids;
  };
  const freshId = (prefix: string) => {
    const ids = usedIds();
    let n = 1;
    while (ids.has(`${prefix}${n}`)) n++;
    return `${prefix}${n}`;
  };

  // Choice options are edited as `Nhãn 1; Nhãn 2`; values are the labels without accents.
  const slug = (text: string) => text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  const optionsText = (opts: ChoiceOption[] | undefined) => (opts ?? []).map((o) => o.label).join('; ');
  const parseOptions = (text: string): ChoiceOption[] | undefined => {
    const labels = text.split(';').map((x) => x.trim()).filter(Boolean);
    return labels.length ? labels.map((label) => ({ value: slug(label) || label, label })) : undefined;
  };

  const input = (label: string, path: string, opts: { cls?: string; type?: string; err?: string; testid?: string } = {}) => {
    const raw = getAt(path);
    const v = opts.type === 'options' ? optionsText(raw as ChoiceOption[] | undefined) : raw;
    const el = h('input', { 'data-path': path, value: v === undefined || v === null ? '' : String(v), class: opts.cls, type: opts.type === 'options' ? 'text' : opts.type ?? 'text', readonly: readOnly, 'data-err': opts.err, 'data-testid': opts.testid, spellcheck: 'false' }) as HTMLInputElement;
    if (opts.type === 'number' || opts.type === 'options') el.dataset.kind = opts.type;
    return h('label', {}, label, el);
  };
  const check = (label: string, path: string) => {
    const el = h('input', { type: 'checkbox', 'data-path': path, 'data-kind': 'boolean', disabled: readOnly }) as HTMLInputElement;
    el.checked = !!getAt(path);
    return h('label', {}, label, el);
  };
  const select = (label: string, path: string, options: Array<[string, string]>, allowEmpty = false) => {
    const v = String(getAt(path) ?? '');
    const el = h('select', { 'data-path': path, disabled: readOnly }, ...(allowEmpty ? [h('option', { value: '' }, '—')] : []), ...options.map(([value, text]) => h('option', { value, selected: value === v }, text)));
    return h('label', {}, label, el);
  };
  const button = (text: string, op: string, args: string, testid?: string) =>
    readOnly ? null : h('button', { type: 'button', class: 'small secondary', 'data-op': op, 'data-args': args, 'data-testid': testid }, text);
  const errSlot = (key: string) => h('div', { class: 'feel-error', 'data-err-for': key, role: 'alert' });

  const render = () => {
    const frag = document.createDocumentFragment();
    frag.append(h('fieldset', {}, h('legend', {}, L('forms.builder.meta')),
      h('div', { class: 'line' },
        input(L('forms.list.code'), 'code', { cls: 'w-m' }),
        input(L('forms.list.name'), 'name', { cls: 'w-l' }),
        select(L('forms.builder.periodKind'), 'periodKind', PERIOD_KINDS.map((k) => [k, L(`forms.periodKind.${k}`)])),
      ),
      h('div', { class: 'line' },
        input(L('forms.builder.unitLabel'), 'unitLabel', { cls: 'w-m' }),
        input(L('forms.builder.legalBasis'), 'legalBasis', { cls: 'w-l' }),
      ),
    ));
    def.sections.forEach((s, si) => {
      const sp = `sections.${si}`;
      const fs = h('fieldset', { 'data-section': s.id }, h('legend', {}, `${L('forms.builder.sections')}: ${s.title}`),
        h('div', { class: 'line' }, input(L('forms.builder.label'), `${sp}.title`, { cls: 'w-l' }), button(L('forms.builder.remove'), 'remove', sp)));
      (s.fields ?? []).forEach((f, fi) => {
        const fp = `${sp}.fields.${fi}`;
        fs.append(h('div', { class: 'line', 'data-field': f.id },
          input('Mã', `${fp}.id`, { cls: 'w-id' }),
          input(L('forms.builder.label'), `${fp}.label`, { cls: 'w-m' }),
          select(L('forms.builder.type'), `${fp}.type`, FIELD_TYPES.map((k) => [k, k])),
          check('*', `${fp}.required`),
          input(L('forms.builder.unit'), `${fp}.unit`, { cls: 'w-s' }),
          ...(['number', 'integer', 'percent'].includes(f.type) ? [
            input('Số lẻ', `${fp}.decimals`, { cls: 'w-s', type: 'number' }),
            input('Min', `${fp}.min`, { cls: 'w-s', type: 'number' }),
            input('Max', `${fp}.max`, { cls: 'w-s', type: 'number' }),
          ] : []),
          f.type === 'choice' ? input(L('forms.builder.options'), `${fp}.options`, { cls: 'w-l', type: 'options' }) : null,
          input(L('forms.builder.formula'), `${fp}.formula`, { cls: 'w-l', err: `field:${f.id}` }),
          button(L('forms.builder.remove'), 'remove', fp),
          errSlot(`field:${f.id}`),
        ));
      });
      (s.tables ?? []).forEach((tb, ti) => {
        const tp = `${sp}.tables.${ti}`;
        const tf = h('fieldset', { 'data-table': tb.id }, h('legend', {}, `${L('forms.builder.addTable')}: ${tb.title ?? tb.id}`),
          h('div', { class: 'line' }, input('Mã', `${tp}.id`, { cls: 'w-id' }), input(L('forms.builder.label'), `${tp}.title`, { cls: 'w-l' }), button(L('forms.builder.remove'), 'remove', tp)));
        tb.columns.forEach((c, ci) => {
          const cp = `${tp}.columns.${ci}`;
          tf.append(h('div', { class: 'line', 'data-column': c.id },
            input('Mã cột', `${cp}.id`, { cls: 'w-id' }),
            input(L('forms.builder.label'), `${cp}.label`, { cls: 'w-m' }),
            select(L('forms.builder.type'), `${cp}.type`, COLUMN_TYPES.map((k) => [k, k])),
            input('Số lẻ', `${cp}.decimals`, { cls: 'w-s', type: 'number' }),
            input('Min', `${cp}.min`, { cls: 'w-s', type: 'number' }),
            input('Max', `${cp}.max`, { cls: 'w-s', type: 'number' }),
            input(L('forms.builder.formula'), `${cp}.formula`, { cls: 'w-l', err: `col:${tb.id}.${c.id}` }),
            button(L('forms.builder.remove'), 'remove', cp),
            errSlot(`col:${tb.id}.${c.id}`),
          ));
        });
        tf.append(h('div', { class: 'line' }, button(L('forms.builder.addColumn'), 'addColumn', tp, `add-column-${tb.id}`)));
        tb.rows.forEach((r, ri) => {
          const rp = `${tp}.rows.${ri}`;
          tf.append(h('div', { class: 'line', 'data-row': r.id },
            input('Mã', `${rp}.id`, { cls: 'w-id' }),
            input(L('forms.doc.colCode'), `${rp}.code`, { cls: 'w-s' }),
            input(L('forms.doc.colName'), `${rp}.name`, { cls: 'w-m' }),
            input(L('forms.builder.unit'), `${rp}.unit`, { cls: 'w-s' }),
            select(L('forms.builder.parent'), `${rp}.parent`, tb.rows.filter((x) => x.id !== r.id).map((x) => [x.id, `${x.code ?? ''} ${x.name}`]), true),
            check(L('forms.builder.total'), `${rp}.total`),
            input(L('forms.builder.formula'), `${rp}.formula`, { cls: 'w-l', err: `row:${r.id}` }),
            select(L('forms.builder.rollup'), `${rp}.rollup.kind`, ROLLUPS.map((k) => [k, L(`forms.rollup.${k}`)]), true),
            r.rollup?.kind === 'weighted' ? select(L('forms.rollup.by'), `${rp}.rollup.by`, tb.rows.filter((x) => x.id !== r.id).map((x) => [x.id, `${x.code ?? ''} ${x.name}`]), true) : null,
            r.rollup?.kind === 'formula' ? input(L('forms.rollup.formula'), `${rp}.rollup.formula`, { cls: 'w-m', err: `row:${r.id}` }) : null,
            button(L('forms.builder.remove'), 'remove', rp),
            errSlot(`row:${r.id}`),
          ));
        });
        tf.append(h('div', { class: 'line' }, button(L('forms.builder.addRow'), 'addRow', tp, `add-row-${tb.id}`)));
        fs.append(tf);
      });
      fs.append(h('div', { class: 'line' }, button(L('forms.builder.addField'), 'addField', sp, `add-field-${s.id}`), button(L('forms.builder.addTable'), 'addTable', sp, `add-table-${s.id}`)));
      frag.append(fs);
    });
    frag.append(h('div', { class: 'line' }, button(L('forms.builder.addSection'), 'addSection', '', 'add-section')));
    const rules = h('fieldset', {}, h('legend', {}, L('forms.builder.rules')));
    (def.rules ?? []).forEach((r, i) => {
      const rp = `rules.${i}`;
      rules.append(h('div', { class: 'line', 'data-rule': r.id },
        input('Mã', `${rp}.id`, { cls: 'w-id' }),
        input(L('forms.builder.expression'), `${rp}.expression`, { cls: 'w-l', err: `rule:${r.id}` }),
        input(L('forms.builder.message'), `${rp}.message`, { cls: 'w-l' }),
        select(L('forms.builder.severity'), `${rp}.severity`, [['error', L('forms.severity.error')], ['warning', L('forms.severity.warning')]]),
        select(L('forms.builder.missing'), `${rp}.missing`, MISSING.map((k) => [k, L(`forms.missing.${k}`)])),
        select('∀', `${rp}.forEachRow`, def.sections.flatMap((s) => s.tables ?? []).map((tb) => [tb.id, tb.title ?? tb.id]), true),
        button(L('forms.builder.remove'), 'remove', rp),
        errSlot(`rule:${r.id}`),
      ));
    });
    rules.append(h('div', { class: 'line' }, button(L('forms.builder.addRule'), 'addRule', '', 'add-rule')));
    frag.append(rules);
    root.replaceChildren(frag);
    refresh();
  };

  const errKey = (plan: Plan, p: Issue): string | null => {
    if (p.rule) return `rule:${p.rule}`;
    if (!p.target) return null;
    if (plan.rowTable.has(p.target)) return `row:${p.target}`;
    const cell = plan.cells.get(p.target);
    if (!cell) return null;
    if (cell.kind === 'field') return `field:${cell.key}`;
    if (cell.scope?.kind === 'row') return `col:${cell.table!.id}.${cell.column!.id}`;
    return `row:${cell.row!.id}`;
  };

  const refresh = () => {
    textarea.value = JSON.stringify(def, null, 2);
    let problems: Issue[] = [];
    let plan: Plan | null = null;
    try {
      plan = compile(def);
      problems = plan.problems;
    } catch {
      problems = [];
    }
    for (const el of root.querySelectorAll<HTMLElement>('[data-err-for]')) el.textContent = '';
    for (const el of root.querySelectorAll('.has-error')) el.classList.remove('has-error');
    const messages = problems.map((p) => issueText(p, L));
    problems.forEach((p, i) => {
      const k = plan ? errKey(plan, p) : null;
      if (!k) return;
      const slot = root.querySelector<HTMLElement>(`[data-err-for="${CSS.escape(k)}"]`);
      if (slot && !slot.textContent?.includes(messages[i])) slot.textContent = `${slot.textContent ?? ''}${messages[i]} `;
      root.querySelector(`[data-err="${CSS.escape(k)}"]`)?.classList.add('has-error');
    });
    if (problemsBox) {
      if (messages.length) problemsBox.replaceChildren(h('ul', { class: 'problems' }, ...messages.map((m) => h('li', {}, m))));
      else problemsBox.replaceChildren(h('p', { class: 'hint' }, L('forms.builder.noProblems')));
    }
  };

  root.addEventListener('input', (e) => {
    const el = e.target as HTMLInputElement;
    const path = el.dataset.path;
    if (!path) return;
    let v: unknown = el.value;
    if (el.dataset.kind === 'boolean') v = el.checked || undefined;
    else if (el.dataset.kind === 'number') v = el.value === '' ? undefined : Number(el.value);
    else if (el.dataset.kind === 'options') v = parseOptions(el.value);
    if (/\.rollup\.kind$/.test(path) && !v) {
      // No roll-up kind means no roll-up at all (an empty object would not validate).
      setAt(path.replace(/\.kind$/, ''), undefined);
      refresh();
      return;
    }
    setAt(path, v);
    refresh();
  });
  root.addEventListener('change', (e) => {
    const el = e.target as HTMLElement;
    // Renaming an id or changing a parent re-renders so selects and error slots follow.
    if (el.tagName === 'SELECT' || (el as HTMLInputElement).dataset.kind === 'boolean' || /\.id$/.test(el.dataset.path ?? '')) render();
  });
  root.addEventListener('click', (e) => {
    const el = (e.target as HTMLElement).closest<HTMLElement>('[data-op]');
    if (!el) return;
    const op = el.dataset.op!;
    const args = el.dataset.args ?? '';
    const at = (p: string) => getAt(p) as Record<string, unknown>;
    switch (op) {
      case 'addSection': def.sections.push({ id: freshId('muc'), title: L('forms.builder.sections'), fields: [] }); break;
      case 'addField': ((at(args).fields ??= []) as unknown[]).push({ id: freshId('f'), label: L('forms.builder.label'), type: 'number' }); break;
      case 'addTable': ((at(args).tables ??= []) as unknown[]).push({ id: freshId('bang'), title: '', columns: [{ id: freshId('c'), label: L('forms.builder.label'), type: 'number' }], rows: [] }); break;
      case 'addColumn': (at(args).columns as unknown[]).push({ id: freshId('c'), label: L('forms.builder.label'), type: 'number' }); break;
      case 'addRow': (at(args).rows as unknown[]).push({ id: freshId('r'), code: '', name: L('forms.builder.label') }); break;
      case 'addRule': (def.rules ??= []).push({ id: freshId('kt'), expression: 'true', message: L('forms.builder.message'), severity: 'error', missing: 'skipIfAnyMissing' }); break;
      case 'remove': {
        const parts = args.split('.');
        const idx = Number(parts.pop());
        (getAt(parts.join('.')) as unknown[]).splice(idx, 1);
        break;
      }
      default: return;
    }
    render();
  });
  // Hand edits of the JSON re-render the editor once they parse.
  textarea.addEventListener('change', () => {
    try {
      def = JSON.parse(textarea.value) as FormDefinition;
      render();
    } catch {
      // Keep the text as typed; the server reports the syntax error on save.
    }
  });
  root.dataset.live = 'ready';
  render();
}
