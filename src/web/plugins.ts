// The domain plugins the server registers, in order. A domain adds one line.
import type { Plugin } from '@hapi/hapi';
import { authPlugin } from '../auth/plugin.ts';
import { orgsPlugin } from '../orgs/plugin.ts';
import { auditPlugin } from '../audit/plugin.ts';
import { homePlugin } from './home.ts';
import { formsPlugin } from '../forms/plugin.ts';
import { workflowPlugin } from '../workflow/plugin.ts';
import { signingPlugin } from '../signing/plugin.ts';
import { notifyPlugin } from '../notify/plugin.ts';
import { calendarPlugin } from '../calendar/plugin.ts';
import { catalogPlugin } from '../catalog/plugin.ts';
import { reportingPlugin } from '../reporting/plugin.ts';
import { engineRestPlugin } from '../engine-rest/plugin.ts';
import { dossiersPlugin } from '../dossiers/plugin.ts';
import { dossierHandlingPlugin } from '../dossiers/handling-plugin.ts';
import { dossierTrackingPlugin } from '../dossiers/tracking-plugin.ts';
import { insightPlugin } from '../insight/plugin.ts';
import { rankingsPlugin } from '../insight/rankings-plugin.ts';
import { paymentsPlugin } from '../payments/plugin.ts';
import { feedbackPlugin } from '../feedback/plugin.ts';
import { ratingsPlugin } from '../feedback/ratings-plugin.ts';

/** Every plugin, each `{ name: 'govflow/<domain>', register }`. */
export const plugins: Array<Plugin<void>> = [homePlugin, authPlugin, orgsPlugin, auditPlugin, formsPlugin, workflowPlugin, signingPlugin, notifyPlugin, calendarPlugin, catalogPlugin, reportingPlugin, engineRestPlugin, dossiersPlugin, dossierHandlingPlugin, dossierTrackingPlugin, insightPlugin, rankingsPlugin, paymentsPlugin, feedbackPlugin, ratingsPlugin];
