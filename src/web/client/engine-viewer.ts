// Island of the cockpit pages: shows a deployed diagram read-only and marks the instance's
// completed and active elements, with the number of waiting tokens on each active one.
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';

interface Highlight {
  active?: string[];
  completed?: string[];
  tokens?: Record<string, number>;
  incidents?: string[];
}

async function show(el: HTMLElement): Promise<void> {
  const viewer = new NavigatedViewer({ container: el });
  const highlight = JSON.parse(el.dataset.highlight || '{}') as Highlight;
  try {
    const res = await fetch(el.dataset.xmlUrl!, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(String(res.status));
    await viewer.importXML(await res.text());
  } catch {
    el.textContent = el.dataset.error ?? 'diagram unavailable';
    return;
  }
  const canvas = viewer.get('canvas') as { zoom(v: string): void; addMarker(id: string, cls: string): void };
  const registry = viewer.get('elementRegistry') as { get(id: string): unknown };
  const overlays = viewer.get('overlays') as { add(id: string, o: { position: { top: number; right: number }; html: string }): void };
  canvas.zoom('fit-viewport');
  const mark = (ids: string[] | undefined, cls: string) => {
    for (const id of ids ?? []) if (registry.get(id)) canvas.addMarker(id, cls);
  };
  mark(highlight.completed?.filter((id) => !highlight.active?.includes(id)), 'gf-done');
  mark(highlight.active, 'gf-active');
  mark(highlight.incidents, 'gf-incident');
  for (const [id, n] of Object.entries(highlight.tokens ?? {})) {
    if (registry.get(id)) overlays.add(id, { position: { top: -10, right: 10 }, html: `<span class="gf-token" data-token="${id}">${n}</span>` });
  }
  el.dataset.ready = 'true';
}

for (const el of document.querySelectorAll<HTMLElement>('[data-xml-url]')) void show(el);
