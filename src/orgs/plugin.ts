// Org tree screens and API.
import type { Plugin } from '@hapi/hapi';

/** Plugin `govflow/orgs`. */
export const orgsPlugin: Plugin<void> = {
  name: 'govflow/orgs',
  register() {},
};
