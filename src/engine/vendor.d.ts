// Type declarations for packages that ship none.
declare module 'bpmn-auto-layout' {
  /** Lays out every process of a BPMN file and returns the XML with diagram information. */
  export function layoutProcess(xml: string): Promise<string>;
}

declare module 'bpmn-moddle' {
  /** The BPMN 2.0 meta-model reader/writer, extensible with Camunda or Zeebe packages. */
  export class BpmnModdle {
    constructor(packages?: Record<string, unknown>);
    fromXML(xml: string, typeName?: string): Promise<{ rootElement: any; warnings: Array<{ message: string }>; references: unknown[]; elementsById: Record<string, unknown> }>;
    toXML(element: unknown, options?: { format?: boolean }): Promise<{ xml: string }>;
  }
}
