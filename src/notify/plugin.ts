// Plugin `govflow/notify`: the outbox's job kind and event subscriptions start with the server.
import type { Plugin } from '@hapi/hapi';
import './service.ts';
import { closeMailer } from './channels.ts';

/** Plugin `govflow/notify`. */
export const notifyPlugin: Plugin<void> = {
  name: 'govflow/notify',
  register(server) {
    server.ext('onPostStop', () => closeMailer());
  },
};
