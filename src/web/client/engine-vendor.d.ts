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
    constructor(options: { container: HTMLElement });
    importXML(xml: string): Promise<{ warnings: unknown[] }>;
    saveXML(options?: { format?: boolean }): Promise<{ xml?: string }>;
    get(service: string): unknown;
    on(event: string, callback: (...args: unknown[]) => void): void;
  }
}
