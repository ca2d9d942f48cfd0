// Admin alerts: when failed notifications, open incidents or failed jobs reach their threshold, every
// system administrator gets an `admin-alert` message on the channels they chose (e-mail, SMS, bell).
// The check is the job kind `notify.alerts`, which schedules its own next run; an alert of one kind
// is not repeated within NOTIFY_ALERT_QUIET_MS, which the outbox itself remembers.
import { Op } from 'sequelize';
import { NotifyMessage } from './models.ts';
import { FAILURE_STATUSES, notifyRecipient } from './service.ts';
import { systemAdmins } from './recipients.ts';
import { enqueueJob, engineCounts, listJobs, registerJobKind } from '../engine/service.ts';
import { EngineJob } from '../engine/models.ts';
import { getConfig } from '../config.ts';
import { t } from '../i18n/index.ts';

/** The engine job kind that checks the alert thresholds. */
export const JOB_NOTIFY_ALERTS = 'notify.alerts';

/** One kind of alert and where an administrator acts on it. */
interface AlertKind {
  key: 'failedMessages' | 'incidents' | 'failedJobs';
  threshold: number;
  count: () => Promise<number>;
  path: string;
}

function kinds(): AlertKind[] {
  const cfg = getConfig();
  return [
    {
      key: 'failedMessages', threshold: cfg.notifyAlertFailed, path: '/admin/notify',
      // Alerts themselves do not count: an alert that cannot be sent must not raise another.
      count: () => NotifyMessage.count({ where: { status: { [Op.in]: FAILURE_STATUSES }, event: { [Op.ne]: 'admin-alert' } } }),
    },
    { key: 'incidents', threshold: cfg.notifyAlertIncidents, path: '/engine', count: async () => (await engineCounts()).incidents },
    { key: 'failedJobs', threshold: cfg.notifyAlertFailedJobs, path: '/engine', count: async () => (await listJobs({ status: 'failed' }, 10000)).length },
  ];
}

/** Checks every threshold once and queues the alerts that are due; returns the kinds alerted. */
export async function checkAlerts(now = new Date()): Promise<string[]> {
  const cfg = getConfig();
  const alerted: string[] = [];
  for (const k of kinds()) {
    if (k.threshold <= 0) continue;
    const count = await k.count();
    if (count < k.threshold) continue;
    const recent = await NotifyMessage.count({ where: { event: 'admin-alert', reference: `alert:${k.key}`, createdAt: { [Op.gt]: new Date(now.getTime() - cfg.notifyAlertQuietMs) } } });
    if (recent) continue;
    const admins = await systemAdmins();
    for (const a of admins) {
      await notifyRecipient(a, 'admin-alert', { what: t(a.locale, `notify.alert.${k.key}`), count, threshold: k.threshold, at: now, link: `${cfg.baseUrl}${k.path}` }, { reference: `alert:${k.key}` });
    }
    if (admins.length) alerted.push(k.key);
  }
  return alerted;
}

registerJobKind(JOB_NOTIFY_ALERTS, async () => {
  try {
    await checkAlerts();
  } finally {
    await enqueueJob(JOB_NOTIFY_ALERTS, null, new Date(Date.now() + getConfig().notifyAlertEveryMs));
  }
});

/** Makes sure one alert check is scheduled (every node calls this at start; a second row is removed). */
export async function scheduleAlerts(): Promise<void> {
  const rows = await EngineJob.findAll({ where: { kind: JOB_NOTIFY_ALERTS, status: 'pending' }, attributes: ['id'], order: [['id', 'ASC']] });
  if (!rows.length) {
    await enqueueJob(JOB_NOTIFY_ALERTS, null, new Date(Date.now() + getConfig().notifyAlertEveryMs));
    return;
  }
  // Two nodes starting together may both have scheduled one; keep the oldest.
  if (rows.length > 1) await EngineJob.destroy({ where: { id: rows.slice(1).map((r) => r.id), leaseOwner: null } });
}
