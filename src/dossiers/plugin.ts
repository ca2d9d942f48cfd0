// Plugin `govflow/dossiers`: the citizen's side of dossiers (new dossier, drafts, attachments, submission, confirmation, receipt, my dossiers, documents store) and its JSON API.
import type { Plugin } from '@hapi/hapi';
import './core.ts';

export const dossiersPlugin: Plugin<void> = {
  name: 'govflow/dossiers',
  register() {
    // Routes are added here.
  },
};
