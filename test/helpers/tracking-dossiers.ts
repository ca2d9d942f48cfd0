// Dossiers for the tracking tests, made with the models and receiveDossier (as a submission would), and a
// small handling process deployed inline so the diagram code is tested on a process of its own.
import { Dossier, DossierStep } from '../../src/dossiers/models.ts';
import { receiveDossier } from '../../src/dossiers/core.ts';
import { getOrgByCode } from '../../src/orgs/service.ts';
import { inTransaction } from '../../src/store/index.ts';
import { deployDefinition } from '../../src/engine/definitions.ts';
import { runDueJobs } from '../../src/engine/jobs.ts';
import { EngineTask } from '../../src/engine/models.ts';
import { completeTaskAsSystem } from '../../src/engine/tasks.ts';

/** The key of the inline test process. */
export const TRACKING_PROCESS = 'tracking-test';

/** Deploys the test process: receive → handle → approve, named as the handling process names them. */
export async function deployTrackingProcess(): Promise<void> {
  await deployDefinition(`<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
  id="Defs_tracking" targetNamespace="http://govflow.local/test">
  <process id="${TRACKING_PROCESS}" name="Xử lý hồ sơ (thử)" isExecutable="true">
    <startEvent id="start" name="Nộp hồ sơ"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="receive"/>
    <userTask id="receive" name="Tiếp nhận hồ sơ" camunda:candidateGroups="officer"/>
    <sequenceFlow id="f2" sourceRef="receive" targetRef="handle"/>
    <userTask id="handle" name="Xử lý hồ sơ" camunda:candidateGroups="officer"/>
    <sequenceFlow id="f3" sourceRef="handle" targetRef="approve"/>
    <userTask id="approve" name="Phê duyệt" camunda:candidateGroups="leader"/>
    <sequenceFlow id="f4" sourceRef="approve" targetRef="end"/>
    <endEvent id="end" name="Trả kết quả"/>
  </process>
  <bpmndi:BPMNDiagram id="Diagram_tracking"><bpmndi:BPMNPlane id="Plane_tracking" bpmnElement="${TRACKING_PROCESS}">
    <bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="20" y="60" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="receive_di" bpmnElement="receive"><dc:Bounds x="100" y="38" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="handle_di" bpmnElement="handle"><dc:Bounds x="240" y="38" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="approve_di" bpmnElement="approve"><dc:Bounds x="380" y="38" width="100" height="80"/></bpmndi:BPMNShape>
    <bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="520" y="60" width="36" height="36"/></bpmndi:BPMNShape>
    <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1"><di:waypoint x="56" y="78"/><di:waypoint x="100" y="78"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2"><di:waypoint x="200" y="78"/><di:waypoint x="240" y="78"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f3_di" bpmnElement="f3"><di:waypoint x="340" y="78"/><di:waypoint x="380" y="78"/></bpmndi:BPMNEdge>
    <bpmndi:BPMNEdge id="f4_di" bpmnElement="f4"><di:waypoint x="480" y="78"/><di:waypoint x="520" y="78"/></bpmndi:BPMNEdge>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</definitions>`);
}

/** What a test dossier needs. */
export interface TestDossierInput {
  ownerUserId: number | null;
  orgCode?: string;
  phone?: string | null;
  email?: string | null;
  limitDays?: number;
  at?: Date;
}

/** A received dossier (code, due date, history, the queued start of its handling). */
export async function receivedDossier(input: TestDossierInput): Promise<Dossier> {
  const org = await getOrgByCode(input.orgCode ?? '00004');
  return inTransaction(async (t) => {
    const d = await Dossier.create({
      procedureCode: '1.001193', procedureName: 'Đăng ký khai sinh', formKey: 'dang-ky-khai-sinh', formVersion: 1, ownerUserId: input.ownerUserId,
      applicantName: 'Nguyễn Thị Lan', applicantPhone: input.phone === undefined ? '0912 345 678' : input.phone, applicantEmail: input.email ?? null,
      orgUnitId: org.id, orgCode: org.code, orgPath: org.path, channel: 'online', status: 'draft', valuesJson: '{}',
    }, { transaction: t });
    return receiveDossier(d, { at: input.at, limit: { amount: input.limitDays ?? 5, unit: 'workday' }, processKey: TRACKING_PROCESS }, t);
  });
}

/** Runs the queued start of the handling instance, then completes `receive` so the dossier sits at `handle`. */
export async function moveToHandle(dossier: Dossier): Promise<Dossier> {
  // A listening server's job worker may hold the start job: wait for whichever node runs it.
  let task: EngineTask | null = null;
  for (let round = 0; round < 400 && !task; round++) {
    await runDueJobs();
    await dossier.reload();
    task = dossier.instanceId ? await EngineTask.findOne({ where: { instanceId: dossier.instanceId, elementId: 'receive', status: 'open' } }) : null;
    if (!task) await new Promise((r) => setTimeout(r, 25));
  }
  if (!task) throw new Error(`the handling instance of dossier ${dossier.id} did not start`);
  await completeTaskAsSystem(task.id);
  const now = new Date();
  await DossierStep.create({ dossierId: dossier.id, step: 'receive', orgCode: dossier.orgCode, officer: 'canbo.motcua', limitDays: 0.5, startedAt: dossier.receivedAt!, dueAt: null, endedAt: now });
  await DossierStep.create({ dossierId: dossier.id, step: 'handle', orgCode: dossier.orgCode, officer: 'canbo.xuly', limitDays: 3, startedAt: now, dueAt: new Date(now.getTime() + 3 * 86400_000), endedAt: null });
  await dossier.update({ status: 'processing', stage: 'handle', officer: 'canbo.xuly' });
  return dossier;
}
