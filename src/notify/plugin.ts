// Plugin `govflow/notify`: the outbox's job kind and event subscriptions start with the server.
import type { Plugin } from '@hapi/hapi';
import './service.ts';
import { closeMailer } from './channels.ts';
import { subscribeToEngine, notificationsQueued } from './events.ts';

/** Plugin `govflow/notify`. */
export const notifyPlugin: Plugin<void> = {
  name: 'govflow/notify',
  register(server) {
    subscribeToEngine();
    server.ext('onPreStop', () => notificationsQueued());
    server.ext('onPostStop', () => closeMailer());
  },
};
