// Island of the task and start pages: renders the linked Camunda Form (form-js JSON) with
// form-js, and when a decision or start button submits the page's form, puts the form's values into
// its hidden `values` field. The browser's checks help the person; the server checks everything again.
import { Form } from '@bpmn-io/form-js-viewer';
import '@bpmn-io/form-js-viewer/dist/assets/form-js.css';

interface Component {
  id?: string;
  type?: string;
  placeholder?: string;
  key?: string;
  path?: string;
  components?: Component[];
}

/** Component ids by the data key they write (groups with a path prefix their children). */
function idsByKey(components: Component[] = [], prefix = '', out = new Map<string, string>()): Map<string, string> {
  for (const c of components) {
    if (c.components) idsByKey(c.components, c.path ? `${prefix}${c.path}.` : prefix, out);
    if (c.key && c.id) out.set(`${prefix}${c.key}`, c.id);
  }
  return out;
}

/** Selects without a placeholder of their own say "choose" in the page's language, not form-js's English default. */
function withPlaceholders(components: Component[] = [], text: string): void {
  for (const c of components) {
    if (c.components) withPlaceholders(c.components, text);
    if (c.type === 'select' && !c.placeholder && text) c.placeholder = text;
  }
}

async function mount(el: HTMLElement): Promise<void> {
  const schema = JSON.parse(el.dataset.schema || '{}') as { components?: Component[] };
  withPlaceholders(schema.components, el.dataset.msgChoose ?? '');
  const data = JSON.parse(el.dataset.data || '{}') as Record<string, unknown>;
  const target = document.getElementById(el.dataset.target || '') as HTMLFormElement | null;
  const hidden = target?.querySelector<HTMLInputElement>('#form-values');
  const form = new Form({ container: el });
  await form.importSchema(schema as never, data);
  // The server's field messages (a refused submission) show next to their fields as well.
  const problems = document.querySelectorAll<HTMLElement>('#problems [data-field]');
  if (problems.length) {
    const ids = idsByKey(schema.components);
    const errors: Record<string, string[]> = {};
    problems.forEach((p) => {
      const id = ids.get(p.dataset.field || '');
      if (id) errors[id] = [...(errors[id] ?? []), p.textContent ?? ''];
    });
    try {
      (form as unknown as { _setState(s: unknown): void })._setState({ errors });
    } catch {
      // The list above the form still names every field.
    }
  }
  // Enter inside the rendered form submits it: treat that as nothing (the buttons below decide).
  form.on('submit', () => undefined);
  if (!target || !hidden) return;
  target.addEventListener('submit', (event) => {
    const { data: values, errors } = form.submit();
    const bad = Object.keys(errors ?? {});
    if (bad.length) {
      event.preventDefault();
      const first = el.querySelector<HTMLElement>('.fjs-has-errors input, .fjs-has-errors select, .fjs-has-errors textarea, [aria-invalid="true"]');
      first?.focus();
      return;
    }
    hidden.value = JSON.stringify(values);
  });
  el.dataset.ready = 'true';
}

for (const el of document.querySelectorAll<HTMLElement>('#task-form')) {
  mount(el).catch(() => {
    el.textContent = el.dataset.msgFailed ?? '';
    el.dataset.ready = 'error';
  });
}
