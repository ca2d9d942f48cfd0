// Island of the dossier tracking page: shows the dossier's handling process read-only, with the step it
// is at highlighted and the steps it went through marked (data from /dossiers/{id}/diagram.json).
import NavigatedViewer from 'bpmn-js/lib/NavigatedViewer';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';

interface DiagramData {
  xml: string | null;
  current: string[];
  done: string[];
}

async function show(el: HTMLElement): Promise<void> {
  let data: DiagramData;
  const viewer = new NavigatedViewer({ container: el });
  try {
    const res = await fetch(el.dataset.diagramUrl!, { credentials: 'same-origin', headers: { accept: 'application/json' } });
    if (!res.ok) throw new Error(String(res.status));
    data = (await res.json()) as DiagramData;
    if (!data.xml) throw new Error('no diagram');
    await viewer.importXML(data.xml);
  } catch {
    el.textContent = el.dataset.error ?? 'diagram unavailable';
    return;
  }
  const canvas = viewer.get('canvas') as { zoom(v: string): void; addMarker(id: string, cls: string): void };
  const registry = viewer.get('elementRegistry') as { get(id: string): unknown };
  canvas.zoom('fit-viewport');
  for (const id of data.done) if (registry.get(id)) canvas.addMarker(id, 'gf-done');
  for (const id of data.current) if (registry.get(id)) canvas.addMarker(id, 'gf-current');
  el.dataset.ready = 'true';
}

for (const el of document.querySelectorAll<HTMLElement>('[data-diagram-url]')) void show(el);
