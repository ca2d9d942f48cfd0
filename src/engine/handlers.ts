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

/** A service handler; throw to fail the try (it is retried per the task's retry policy). */
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
