// Types for what the engine's islands import that the compiler cannot resolve itself.
declare module '*.css';

declare module 'bpmn-js/lib/NavigatedViewer' {
  /** The read-only bpmn-js viewer with zoom and scroll. */
  export default class NavigatedViewer {
    constructor(options: { container: HTMLElement });
    importXML(xml: string): Promise<{ warnings: unknown[] }>;
    get(service: string): unknown;
  }
}

declare module 'bpmn-js/lib/Modeler' {
  /** The bpmn-js modeler. */
  export default class Modeler {
    constructor(options: { container: HTMLElement; propertiesPanel?: { parent: string }; additionalModules?: unknown[]; moddleExtensions?: Record<string, unknown> });
    importXML(xml: string): Promise<{ warnings: unknown[] }>;
    saveXML(options?: { format?: boolean }): Promise<{ xml?: string }>;
    get(service: string): unknown;
    on(event: string, callback: (...args: unknown[]) => void): void;
  }
}

declare module 'bpmn-js-properties-panel' {
  export const BpmnPropertiesPanelModule: unknown;
  export const BpmnPropertiesProviderModule: unknown;
  export const ZeebePropertiesProviderModule: unknown;
}

declare module 'camunda-bpmn-js-behaviors/lib/camunda-cloud' {
  const module: unknown;
  export default module;
}

declare module 'zeebe-bpmn-moddle/resources/zeebe.json' {
  const schema: Record<string, unknown>;
  export default schema;
}
