// What leaves `/engine-rest`: Camunda 7's DTO shapes (LockedExternalTaskDto, ProcessInstanceWithVariablesDto,
// MessageCorrelationResultWithVariableDto), filled from govflow's rows.
import type { LockedTask } from '../engine/service.ts';
import { camundaDate, toTyped } from './variables.ts';

/** A locked external task as Camunda's fetchAndLock answers it. */
export function presentLockedTask(task: LockedTask) {
  return {
    activityId: task.elementId,
    activityInstanceId: task.executionId,
    errorMessage: task.errorMessage,
    errorDetails: task.errorDetails,
    executionId: task.executionId,
    id: task.id,
    lockExpirationTime: camundaDate(task.lockExpiresAt),
    createTime: camundaDate(task.createdAt),
    processDefinitionId: String(task.definitionId),
    processDefinitionKey: task.definitionKey,
    processDefinitionVersionTag: null,
    processInstanceId: task.instanceId,
    tenantId: null,
    retries: task.retries,
    workerId: task.workerId,
    priority: task.priority,
    topicName: task.topic,
    businessKey: task.businessKey,
    variables: toTyped(task.variables),
    extensionProperties: {},
  };
}

interface StartedInstance {
  id: string;
  definitionId: number;
  businessKey: string | null;
  status: string;
  variables: Record<string, unknown>;
}

/** A started instance as Camunda's `process-definition/key/{key}/start` answers it. */
export function presentInstance(inst: StartedInstance, baseUrl: string, withVariables: boolean) {
  return {
    links: [{ method: 'GET', href: `${baseUrl.replace(/\/$/, '')}/engine-rest/process-instance/${inst.id}`, rel: 'self' }],
    id: inst.id,
    definitionId: String(inst.definitionId),
    businessKey: inst.businessKey,
    caseInstanceId: null,
    ended: inst.status !== 'active' && inst.status !== 'failed',
    suspended: false,
    tenantId: null,
    ...(withVariables ? { variables: toTyped(inst.variables) } : {}),
  };
}

/** One result of a message correlation (`resultEnabled`), as Camunda answers it. */
export function presentMessageResult(r: { started: boolean; instance: StartedInstance }, baseUrl: string, withVariables: boolean) {
  const inst = presentInstance(r.instance, baseUrl, false);
  return {
    resultType: r.started ? 'ProcessDefinition' : 'Execution',
    processInstance: r.started ? inst : null,
    execution: r.started ? null : { id: r.instance.id, processInstanceId: r.instance.id, ended: inst.ended, tenantId: null },
    ...(withVariables ? { variables: toTyped(r.instance.variables) } : {}),
  };
}
