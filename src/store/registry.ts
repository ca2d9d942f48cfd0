// Every domain's models are defined here on the one connection. A domain adds one line.
import type { Sequelize } from 'sequelize';
import { initOrgModels } from '../orgs/models.ts';
import { initAuthModels } from '../auth/models.ts';
import { initAuditModels } from '../audit/models.ts';
import { initFormModels } from '../forms/models.ts';
import { initEngineModels } from '../engine/models.ts';
import { initSigningModels } from '../signing/models.ts';
import { initNotifyModels } from '../notify/models.ts';
import { initCalendarModels } from '../calendar/models.ts';
import { initCatalogModels } from '../catalog/models.ts';
import { initWorkflowModels } from '../workflow/models.ts';
import { initReportingModels } from '../reporting/models.ts';
import { initApiClientModels } from '../engine-rest/models.ts';
import { initDossierModels } from '../dossiers/models.ts';
import { initPaymentModels } from '../payments/models.ts';
import { initInsightModels } from '../insight/models.ts';
import { installInsightHooks } from '../insight/track.ts';
import { initFeedbackModels, initRatingModels } from '../feedback/models.ts';

const initializers: Array<(s: Sequelize) => void> = [
  initOrgModels,
  initAuthModels,
  initAuditModels,
  initFormModels,
  initEngineModels,
  initSigningModels,
  initNotifyModels,
  initCalendarModels,
  initCatalogModels,
  initWorkflowModels,
  initReportingModels,
  initApiClientModels,
  initDossierModels,
  initPaymentModels,
  initInsightModels,
  initFeedbackModels,
  initRatingModels,
];

/** Defines all models of all domains on a connection. */
export function initModels(sequelize: Sequelize): void {
  for (const init of initializers) init(sequelize);
  installInsightHooks();
}
