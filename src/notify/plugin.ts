// Plugin `govflow/notify`: the bell and the user's notifications and channel choice; for system
// administrators the failed-message desk and the message log (pages and JSON). It also starts the
// outbox's event subscriptions and the admin alert checks with the server.
import type { Plugin, Request } from '@hapi/hapi';
import Joi from 'joi';
import { t } from '../i18n/index.ts';
import { mustViewer, viewerOf } from '../web/route-helpers.ts';
import { registerNav } from '../web/nav.ts';
import { assertSystemRole } from '../access/index.ts';
import type { Role } from '../auth/models.ts';
import { CHANNELS, STATUSES, type Channel } from './models.ts';
import { attemptsOf, FAILURE_STATUSES, getChannels, getMessage, listInbox, markRead, resendMessages, searchMessages, setChannels, unreadCount } from './service.ts';
import { presentMessage, toMessageQuery, type MessageFilters } from './presenters.ts';
import { EVENTS } from './templates.ts';
import { closeMailer } from './channels.ts';
import { subscribeToEngine, notificationsQueued } from './events.ts';
import { scheduleAlerts } from './alerts.ts';
// Registers the engine service handler `notify`.
import './service-task.ts';
import { log } from '../log.ts';

const admins = { govflow: { roles: ['admin'] as Role[] } };
const anyUser = { govflow: { roles: [] as Role[] } };

/** What the desk shows unless told otherwise: failures and messages not delivered yet. */
const DESK_STATUSES = [...FAILURE_STATUSES, 'created', 'sending'];

const vnDate = Joi.string().trim().pattern(/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2})?$/).allow('');
const orgCode = Joi.string().trim().pattern(/^[A-Za-z0-9._-]{1,40}$/).allow('');
const filters = {
  channel: Joi.string().valid(...CHANNELS, ''),
  status: Joi.alternatives(Joi.string().valid(...STATUSES, ''), Joi.array().items(Joi.string().valid(...STATUSES)).max(STATUSES.length)),
  event: Joi.string().valid(...EVENTS, ''),
  recipient: Joi.string().trim().max(255).allow(''),
  recipientOrg: orgCode,
  senderOrg: orgCode,
  from: vnDate,
  to: vnDate,
  ids: Joi.string().pattern(/^\d{1,10}(,\d{1,10}){0,499}$/).allow(''),
  page: Joi.number().integer().min(1).max(100000).default(1),
};
const idList = Joi.array().items(Joi.number().integer().min(1)).min(1).max(500);

async function messageRows(request: Request, f: MessageFilters, defaults: { status?: string[] }) {
  const q = toMessageQuery(f, defaults);
  const result = await searchMessages({ ...q, pageSize: 50 });
  const tries = await attemptsOf(result.rows.map((m) => m.id));
  const keep = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) {
    if (k === 'page' || v === undefined || v === '') continue;
    for (const one of Array.isArray(v) ? v : [v]) keep.append(k, String(one));
  }
  return {
    values: { ...f, status: q.status ?? [] },
    rows: result.rows.map((m) => ({ ...presentMessage(m, tries.get(m.id) ?? []), when: m.createdAt, canResend: m.channel !== 'inapp' && m.status !== 'delivered' && m.status !== 'sending' })),
    total: result.total, page: result.page, pages: Math.max(1, Math.ceil(result.total / result.pageSize)), pageQuery: keep.toString(),
    channels: CHANNELS, statuses: STATUSES, events: EVENTS, locale: request.app.locale,
  };
}

/** Plugin `govflow/notify`. */
export const notifyPlugin: Plugin<void> = {
  name: 'govflow/notify',
  register(server) {
    registerNav({ href: '/admin/notify', label: 'notify.nav.desk', roles: ['admin'], order: 93 });
    registerNav({ href: '/admin/notify/log', label: 'notify.nav.log', roles: ['admin'], order: 94 });
    subscribeToEngine();
    server.events.on('start', () => {
      scheduleAlerts().catch((err) => log.error('could not schedule the admin alerts', { error: String((err as Error)?.stack ?? err) }));
    });
    server.ext('onPreStop', () => notificationsQueued());
    server.ext('onPostStop', () => closeMailer());

    // The bell in the layout: every page of a logged-in user carries their unread count.
    server.ext('onPreResponse', async (request, h) => {
      // @hapi/vision marks its responses with the variety `view` and renders them after this point.
      const response = request.response as unknown as { variety?: string; source?: { context?: Record<string, unknown> } } | null;
      const viewer = viewerOf(request);
      if (!viewer || response?.variety !== 'view' || !response.source) return h.continue;
      try {
        response.source.context = { ...(response.source.context ?? {}), notifyUnread: await unreadCount(viewer.userId) };
      } catch (err) {
        // A page must not fail because its bell could not be counted.
        log.warn('unread count failed', { error: String(err) });
      }
      return h.continue;
    });

    server.route([
      {
        method: 'GET', path: '/notifications', options: { plugins: anyUser },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const rows = await listInbox(viewer.userId, 100);
          return h.view('pages/notify/inbox', { pageTitle: t(request.app.locale, 'notify.inbox.title'), rows: rows.map((m) => ({ ...presentMessage(m), body: m.body, when: m.createdAt, isUnread: !m.readAt })) });
        },
      },
      {
        method: 'POST', path: '/notifications/read',
        options: { plugins: anyUser, validate: { payload: Joi.object({ crumb: Joi.string(), id: Joi.number().integer().min(1) }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.payload as { id?: number };
          await markRead(viewer.userId, p.id ? [p.id] : undefined);
          return h.redirect('/notifications');
        },
      },
      {
        method: 'GET', path: '/notifications/settings', options: { plugins: anyUser, validate: { query: Joi.object({ saved: Joi.string().valid('1') }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const chosen = await getChannels(viewer.userId);
          return h.view('pages/notify/settings', {
            pageTitle: t(request.app.locale, 'notify.settings.title'), channels: CHANNELS.map((c) => ({ id: c, isChosen: chosen.includes(c) })),
            flash: request.query.saved ? t(request.app.locale, 'notify.settings.saved') : undefined,
          });
        },
      },
      {
        method: 'POST', path: '/notifications/settings',
        options: { plugins: anyUser, validate: { payload: Joi.object({ crumb: Joi.string(), channels: Joi.alternatives(Joi.string().valid(...CHANNELS), Joi.array().items(Joi.string().valid(...CHANNELS)).max(3)) }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          const p = request.payload as { channels?: Channel | Channel[] };
          await setChannels(viewer.userId, p.channels === undefined ? [] : Array.isArray(p.channels) ? p.channels : [p.channels]);
          return h.redirect('/notifications/settings?saved=1');
        },
      },
      {
        method: 'GET', path: '/api/notifications', options: { plugins: anyUser },
        handler: async (request) => {
          const viewer = mustViewer(request);
          const [rows, unread, channels] = await Promise.all([listInbox(viewer.userId, 100), unreadCount(viewer.userId), getChannels(viewer.userId)]);
          return { unread, channels, rows: rows.map((m) => ({ ...presentMessage(m), body: m.body })) };
        },
      },
      {
        method: 'POST', path: '/api/notifications/read',
        options: { plugins: anyUser, validate: { payload: Joi.object({ ids: idList }).allow(null) } },
        handler: async (request) => {
          const viewer = mustViewer(request);
          const p = (request.payload ?? {}) as { ids?: number[] };
          return { read: await markRead(viewer.userId, p.ids), unread: await unreadCount(viewer.userId) };
        },
      },
      {
        method: 'POST', path: '/api/notifications/settings',
        options: { plugins: anyUser, validate: { payload: Joi.object({ channels: Joi.array().items(Joi.string().valid(...CHANNELS)).max(3).required() }) } },
        handler: async (request) => {
          const viewer = mustViewer(request);
          await setChannels(viewer.userId, (request.payload as { channels: Channel[] }).channels);
          return { channels: await getChannels(viewer.userId) };
        },
      },
      {
        method: 'GET', path: '/admin/notify', options: { plugins: admins, validate: { query: Joi.object({ ...filters, resent: Joi.number().integer().min(0) }) } },
        handler: async (request, h) => {
          assertSystemRole(mustViewer(request), 'admin');
          const { resent, ...f } = request.query as MessageFilters & { resent?: number };
          return h.view('pages/notify/desk', {
            pageTitle: t(request.app.locale, 'notify.desk.title'), ...(await messageRows(request, f, { status: DESK_STATUSES })),
            flash: resent !== undefined ? t(request.app.locale, 'notify.desk.resent', { n: resent }) : undefined,
          });
        },
      },
      {
        method: 'POST', path: '/admin/notify/resend',
        options: { plugins: admins, validate: { payload: Joi.object({ crumb: Joi.string(), ids: Joi.alternatives(Joi.number().integer().min(1), idList).required() }) } },
        handler: async (request, h) => {
          const viewer = mustViewer(request);
          assertSystemRole(viewer, 'admin');
          const raw = (request.payload as { ids: number | number[] }).ids;
          const ids = Array.isArray(raw) ? raw : [raw];
          const n = await resendMessages(viewer, ids, { now: true });
          // Show exactly what was resent, whatever its status is now.
          return h.redirect(`/admin/notify?ids=${ids.join(',')}&status=&resent=${n}`);
        },
      },
      {
        method: 'GET', path: '/admin/notify/log', options: { plugins: admins, validate: { query: Joi.object(filters) } },
        handler: async (request, h) => {
          assertSystemRole(mustViewer(request), 'admin');
          return h.view('pages/notify/log', { pageTitle: t(request.app.locale, 'notify.log.title'), ...(await messageRows(request, request.query as MessageFilters, {})) });
        },
      },
      {
        method: 'GET', path: '/api/notify/messages',
        options: { plugins: admins, validate: { query: Joi.object({ ...filters, pageSize: Joi.number().integer().min(1).max(500).default(50) }) } },
        handler: async (request) => {
          assertSystemRole(mustViewer(request), 'admin');
          const result = await searchMessages(toMessageQuery(request.query as MessageFilters));
          const tries = await attemptsOf(result.rows.map((m) => m.id));
          return { total: result.total, page: result.page, pageSize: result.pageSize, rows: result.rows.map((m) => presentMessage(m, tries.get(m.id) ?? [])) };
        },
      },
      {
        method: 'GET', path: '/api/notify/messages/{id}', options: { plugins: admins, validate: { params: Joi.object({ id: Joi.number().integer().min(1).required() }) } },
        handler: async (request) => {
          assertSystemRole(mustViewer(request), 'admin');
          const { message, attempts } = await getMessage((request.params as { id: number }).id);
          return { ...presentMessage(message, attempts), body: message.body };
        },
      },
      {
        method: 'POST', path: '/api/notify/resend',
        options: { plugins: admins, validate: { payload: Joi.object({ ids: idList.required(), now: Joi.boolean().default(false) }) } },
        handler: async (request) => {
          const viewer = mustViewer(request);
          assertSystemRole(viewer, 'admin');
          const p = request.payload as { ids: number[]; now: boolean };
          return { resent: await resendMessages(viewer, p.ids, { now: p.now }) };
        },
      },
    ]);
  },
};
