// Named service handlers and job kinds that domain code registers with the engine.

/** What a service handler receives for one service task execution. */
export interface ServiceCall {
  instanceId: string;
  businessKey: string | null;
  definitionKey: string;
  elementId: string;
  /** A copy of the instance's variables; return an object to merge new values into them. */
  variables: Record<string, unknown>;
  /** 1 for the first try. */
  attempt: number;
}

/**
 * A business outcome a service handler reports instead of a result: `throw new BpmnError('NOT_FOUND',
 * 'no such unit', { unit })`. An error boundary event with that code (or one without a code) takes the
 * token and the variables are merged into the process; an uncaught one is an incident. Never retried.
 */
export class BpmnError extends Error {
  readonly isBpmnError = true;
  constructor(readonly code: string, message?: string, readonly variables: Record<string, unknown> = {}) {
    super(message ?? code);
    this.name = 'BpmnError';
  }
}

/** The BPMN error a handler threw (also one from another copy of this module), or null for a failure. */
export function bpmnErrorOf(err: unknown): BpmnError | null {
  const e = err as Partial<BpmnError> | null;
  if (!e || typeof e !== 'object' || e.isBpmnError !== true || typeof e.code !== 'string' || !e.code) return null;
  return e as BpmnError;
}

/** A service handler; throw to fail the try (it is retried per the task's retry policy), or throw a BpmnError. */
export type ServiceHandler = (call: ServiceCall) => Promise<Record<string, unknown> | void> | Record<string, unknown> | void;

const services = new Map<string, ServiceHandler>();

/** Registers the handler service tasks refer to by name (`zeebe:taskDefinition type`, `camunda:topic`, `implementation`). */
export function registerServiceHandler(name: string, handler: ServiceHandler): void {
  services.set(name, handler);
}

/** The handler registered under a name. */
export function serviceHandler(name: string): ServiceHandler | undefined {
  return services.get(name);
}

/** A job as its handler sees it. */
export interface JobCall {
  id: number;
  kind: string;
  payload: unknown;
  attempts: number;
  instanceId: string | null;
  elementId: string | null;
  executionId: string | null;
}

/** A job handler; throw to have the job retried later with back-off. */
export type JobHandler = (job: JobCall) => Promise<void> | void;

const jobKinds = new Map<string, JobHandler>();

/** Registers the handler of a job kind (cycle openings, reminders, the outbox …). */
export function registerJobKind(kind: string, handler: JobHandler): void {
  jobKinds.set(kind, handler);
}

/** The handler of a job kind. */
export function jobHandler(kind: string): JobHandler | undefined {
  return jobKinds.get(kind);
}

/** A candidate group as the engine stores it: a role name and, optionally, the org unit it is held over. */
export interface CandidateGroup {
  role: string;
  orgCode: string | null;
}

/** Who a new user task is for, as built from validated parts, for the registered check to accept. */
export interface AssignmentProposal {
  instanceId: string;
  elementId: string;
  assignee: string | null;
  candidateUsers: string[];
  candidateGroups: CandidateGroup[];
  /** The org unit of the instance (null: none). */
  orgCode: string | null;
}

/** Returns why an assignment is not acceptable (a sentence for the incident), or null when it is. */
export type AssignmentCheck = (proposal: AssignmentProposal) => Promise<string | null> | string | null;

let assignmentCheckFn: AssignmentCheck | null = null;

/** Registers the check every new user task's assignment passes (the access side knows roles and org units). */
export function registerAssignmentCheck(check: AssignmentCheck): void {
  assignmentCheckFn = check;
}

/** The registered assignment check, if any. */
export function assignmentCheck(): AssignmentCheck | null {
  return assignmentCheckFn;
}
