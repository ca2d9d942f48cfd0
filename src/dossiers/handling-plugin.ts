// Plugin `govflow/dossier-handling`: the officers' side of dossiers (inbox, dossier page with the actions of the current step, counter registration) and the citizen's answers to a completeness request.
import type { Plugin } from '@hapi/hapi';
import './core.ts';

export const dossierHandlingPlugin: Plugin<void> = {
  name: 'govflow/dossier-handling',
  register() {
    // Routes are added here.
  },
};
