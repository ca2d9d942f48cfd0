// The home page: what govflow is for visitors; the viewer's roles and shortcuts once logged in.
import type { Plugin } from '@hapi/hapi';
import { t } from '../i18n/index.ts';

/** Plugin `govflow/home`. */
export const homePlugin: Plugin<void> = {
  name: 'govflow/home',
  register(server) {
    server.route({
      method: 'GET',
      path: '/',
      options: { plugins: { govflow: { public: true } } },
      handler: (request, h) => h.view('pages/home', { pageTitle: t(request.app.locale, 'home.title') }),
    });
  },
};
