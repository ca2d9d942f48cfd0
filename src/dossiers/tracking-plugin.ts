// Plugin `govflow/dossier-tracking`: tracking of dossiers (the public lookup by code with a second factor, the owner's and staff's full view with the live diagram).
import type { Plugin } from '@hapi/hapi';
import './core.ts';

export const dossierTrackingPlugin: Plugin<void> = {
  name: 'govflow/dossier-tracking',
  register() {
    // Routes are added here.
  },
};
