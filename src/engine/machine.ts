// Drives one bpmn-elements Definition directly: what bpmn-engine's Engine does for a single definition,
// without its extra broker hop for every event, its debug loggers, and the serialization of the whole
// source on every getState (the runtime caches the source per version and never stores it).
// The stored state keeps the shape bpmn-engine wrote (`{ definitions: [definitionState] }`), so rows
// written by either can be recovered by this.
import * as elements from 'bpmn-elements';

const E = elements as unknown as {
  Environment: new (options: Record<string, unknown>) => unknown;
  Context: new (sourceContext: unknown, environment: unknown) => unknown;
  Definition: new (context: unknown) => BpmnDefinition;
};

/** The part of bpmn-elements' Definition the runtime uses. */
interface BpmnDefinition {
  broker: {
    subscribeTmp(exchange: string, pattern: string, fn: (routingKey: string, message: EventMessage) => void, options: Record<string, unknown>): { queueName: string };
    bindQueue(queueName: string, exchange: string, pattern: string): void;
    cancel(consumerTag: string): void;
  };
  run(): void;
  resume(): void;
  recover(state: unknown): void;
  getState(): Record<string, unknown>;
  getPostponed(): unknown[];
  signal(message: unknown): void;
}

/** An event as the definition's broker publishes it. */
export interface EventMessage {
  content: { id: string; type: string; executionId?: string; isRecovered?: boolean; error?: Error };
}

/** What the runtime hears from a running definition. */
export interface MachineEvents {
  /** `activity.start`, `activity.end` and `activity.timeout` of every activity. */
  onActivity(routingKey: string, message: EventMessage): void;
  /** The definition left: every process in it completed. */
  onEnd(): void;
  onError(error: Error): void;
}

const noop = () => undefined;
/** bpmn-elements creates a logger per element; the `debug` default costs a tty check each time. */
const quietLogger = () => ({ debug: noop, error: noop, warn: noop });

const CONSUMER_TAG = '_govflow_events';

/** One definition of one instance, run, recovered and resumed in memory. */
export class Machine {
  private readonly definition: BpmnDefinition;

  constructor(sourceContext: unknown, options: { timers: unknown; expressions: unknown; extensions: unknown; scripts?: unknown }, private readonly events: MachineEvents) {
    const environment = new E.Environment({ ...options, Logger: quietLogger });
    this.definition = new E.Definition(new E.Context(sourceContext, environment));
  }

  /** Starts the definition's executable processes. */
  execute(): void {
    this.listen();
    this.definition.run();
  }

  /** Restores a stored state (bpmn-engine's shape or this one's); call resume() afterwards. */
  recover(state: { definitions?: unknown[] }): void {
    const definitionState = state.definitions?.[0];
    if (!definitionState) throw new Error('stored state has no definition');
    this.definition.recover(definitionState);
  }

  /** Continues a recovered definition: waiting elements wait again, due timers fire. */
  resume(): void {
    this.listen();
    this.definition.resume();
  }

  /** The state to store: the definition's executions, queues and counters, without its source. */
  getState(): { definitions: Array<Record<string, unknown>> } {
    return { definitions: [this.definition.getState()] };
  }

  /** Every element the running processes wait on (sub-process children are the caller's to expand). */
  getPostponed(): unknown[] {
    return this.definition.getPostponed();
  }

  /** Delivers a signal or message by its reference id to whatever waits for it. */
  signal(message: { id: string }): void {
    this.definition.signal(message);
  }

  private listen(): void {
    const broker = this.definition.broker;
    broker.cancel(CONSUMER_TAG);
    const { queueName } = broker.subscribeTmp('event', 'activity.start', (routingKey, message) => this.onMessage(routingKey, message), { noAck: true, consumerTag: CONSUMER_TAG });
    for (const key of ['activity.end', 'activity.timeout', 'definition.leave', 'definition.error']) broker.bindQueue(queueName, 'event', key);
  }

  private onMessage(routingKey: string, message: EventMessage): void {
    switch (routingKey) {
      case 'definition.leave':
        this.events.onEnd();
        break;
      case 'definition.error':
        this.events.onError(message.content.error ?? new Error('process failed'));
        break;
      default:
        this.events.onActivity(routingKey, message);
    }
  }
}
