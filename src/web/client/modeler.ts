// Island of the designer page: a bpmn-js modeler that lints on the server as the designer draws
// and deploys the diagram. Nothing here evaluates expressions; the server checks everything.
import Modeler from 'bpmn-js/lib/Modeler';
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, ZeebePropertiesProviderModule } from 'bpmn-js-properties-panel';
import ZeebeBehaviorsModule from 'camunda-bpmn-js-behaviors/lib/camunda-cloud';
import zeebeModdle from 'zeebe-bpmn-moddle/resources/zeebe.json';
import { MODELER_VI, translateModule } from './lib/modeler-vi.ts';
import 'bpmn-js/dist/assets/diagram-js.css';
import 'bpmn-js/dist/assets/bpmn-js.css';
import 'bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css';
import '@bpmn-io/properties-panel/dist/assets/properties-panel.css';

const EMPTY = `<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" id="Definitions_new" targetNamespace="http://govflow.local/bpmn">
  <bpmn:process id="Process_new" name="Quy trình mới" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" name="Bắt đầu"/>
  </bpmn:process>
  <bpmndi:BPMNDiagram id="BPMNDiagram_1">
    <bpmndi:BPMNPlane id="BPMNPlane_1" bpmnElement="Process_new">
      <bpmndi:BPMNShape id="StartEvent_1_di" bpmnElement="StartEvent_1"><dc:Bounds x="180" y="160" width="36" height="36"/></bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>`;

interface Problem {
  message: string;
  elementId?: string;
}

const host = document.getElementById('modeler') as HTMLElement;
const problemsList = document.getElementById('problems') as HTMLUListElement;
const result = document.getElementById('deploy-result') as HTMLElement;
const crumb = host.dataset.crumb ?? '';
// The layout renders the user's language into <html lang>; bpmn-js itself only speaks English.
const isVietnamese = document.documentElement.lang.toLowerCase().startsWith('vi');
// The Camunda 8 properties panel: assignments, schedules, forms, task types and FEEL conditions.
const modeler = new Modeler({
  container: host,
  propertiesPanel: { parent: '#properties' },
  additionalModules: [
    BpmnPropertiesPanelModule,
    BpmnPropertiesProviderModule,
    ZeebePropertiesProviderModule,
    ZeebeBehaviorsModule,
    ...(isVietnamese ? [translateModule(MODELER_VI)] : []),
  ],
  moddleExtensions: { zeebe: zeebeModdle },
});

async function post(url: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json', 'x-csrf-token': crumb, accept: 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await res.json().catch(() => ({})) };
}

async function currentXml(): Promise<string> {
  const { xml } = await modeler.saveXML({ format: true });
  return xml ?? '';
}

function showProblems(problems: Problem[], warnings: Problem[]): void {
  problemsList.replaceChildren();
  const canvas = modeler.get('canvas') as { addMarker(id: string, c: string): void; removeMarker(id: string, c: string): void };
  const registry = modeler.get('elementRegistry') as { getAll(): Array<{ id: string }>; get(id: string): unknown };
  for (const el of registry.getAll()) {
    canvas.removeMarker(el.id, 'gf-incident');
    canvas.removeMarker(el.id, 'gf-warning');
  }
  if (!problems.length && !warnings.length) {
    const li = document.createElement('li');
    li.textContent = host.dataset.msgNone ?? '';
    problemsList.append(li);
  }
  for (const [list, cls] of [[problems, 'err'], [warnings, 'warn']] as const) {
    for (const p of list) {
      const li = document.createElement('li');
      li.className = cls;
      // A warning does not stop a deploy; it says so in words, not only in colour.
      li.textContent = cls === 'warn' && host.dataset.msgWarning ? `${host.dataset.msgWarning}: ${p.message}` : p.message;
      problemsList.append(li);
      if (p.elementId && registry.get(p.elementId)) canvas.addMarker(p.elementId, cls === 'err' ? 'gf-incident' : 'gf-warning');
    }
  }
}

let lintTimer: number | undefined;
async function lint(): Promise<void> {
  const { json } = await post('/api/engine/lint', { xml: await currentXml() });
  showProblems(json.problems ?? [], json.warnings ?? []);
}

async function deploy(): Promise<void> {
  result.textContent = '';
  const { status, json } = await post('/api/engine/definitions', { xml: await currentXml() });
  if (status === 201 || status === 200) {
    const template = status === 201 ? host.dataset.msgDeployed : host.dataset.msgUnchanged;
    result.textContent = (template ?? '').replace('{key}', json.key).replace('{version}', String(json.version));
    result.dataset.status = 'ok';
    showProblems([], json.warnings ?? []);
  } else {
    result.textContent = json.message ?? String(status);
    result.dataset.status = 'error';
    showProblems(Array.isArray(json.details) ? json.details : [], []);
  }
}

async function start(): Promise<void> {
  let xml = EMPTY;
  if (host.dataset.from) {
    const res = await fetch(`/api/engine/definitions/${host.dataset.from}/xml`, { credentials: 'same-origin' });
    if (res.ok) xml = await res.text();
  }
  await modeler.importXML(xml);
  (modeler.get('canvas') as { zoom(v: string): void }).zoom('fit-viewport');
  modeler.on('commandStack.changed', () => {
    window.clearTimeout(lintTimer);
    lintTimer = window.setTimeout(() => void lint(), 600);
  });
  document.getElementById('deploy')!.addEventListener('click', () => void deploy());
  document.getElementById('download')!.addEventListener('click', async (e) => {
    const a = e.currentTarget as HTMLAnchorElement;
    a.href = URL.createObjectURL(new Blob([await currentXml()], { type: 'application/xml' }));
  });
  host.dataset.ready = 'true';
  void lint();
}

void start();

/** Exposed for browser tests and power users: the modeler instance. */
(window as unknown as { govflowModeler: Modeler }).govflowModeler = modeler;
