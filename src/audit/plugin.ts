// The admin's audit log search.
import type { Plugin } from '@hapi/hapi';

/** Plugin `govflow/audit`. */
export const auditPlugin: Plugin<void> = {
  name: 'govflow/audit',
  register() {},
};
