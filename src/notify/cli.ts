// `govflow notify test ADDRESS [--wait]`: queues a test e-mail through the outbox, as any other
// message (a running server's job worker delivers it); with --wait this process delivers it and
// reports the outcome.
import { parseArgs } from 'node:util';
import type { Command } from '../main.ts';

const out = (line: string) => process.stdout.write(line + '\n');

/** `notify test ADDRESS [--wait] [--locale vi|en]`. */
export const notifyCommand: Command = {
  name: 'notify',
  usage: 'notify test ADDRESS [--wait] [--locale vi|en]   queue a test e-mail through the outbox (--wait: deliver it now, exit 1 unless delivered)',
  needsStore: true,
  async run(args) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { wait: { type: 'boolean' }, locale: { type: 'string' } } });
    if (positionals[0] !== 'test' || !positionals[1]) throw Object.assign(new Error('usage: govflow notify test ADDRESS [--wait] [--locale vi|en]'), { isUsage: true });
    const { queueMessage, deliverMessage } = await import('./service.ts');
    const { NotifyMessage } = await import('./models.ts');
    const { closeMailer } = await import('./channels.ts');
    const locale = values.locale === 'en' ? 'en' : 'vi';
    const m = await queueMessage({ channel: 'email', event: 'test', locale, to: positionals[1], reference: 'cli:notify-test', data: { at: new Date() } });
    out(`queued message ${m.id} to ${m.recipient}`);
    if (!values.wait) return 0;
    try {
      // Deliver here, trying again as the outbox would, until the message is delivered or given up.
      for (;;) {
        await deliverMessage(m.id);
        const now = (await NotifyMessage.findByPk(m.id))!;
        if (now.status === 'delivered') {
          out(`message ${m.id}: delivered`);
          return 0;
        }
        if (!now.nextAttemptAt && now.status !== 'sending') {
          out(`message ${m.id}: ${now.status}: ${now.lastError ?? ''}`);
          return 1;
        }
        out(`message ${m.id}: ${now.status}, next try at ${now.nextAttemptAt?.toISOString() ?? 'soon'}`);
        await new Promise((r) => setTimeout(r, Math.max(10, (now.nextAttemptAt?.getTime() ?? Date.now() + 100) - Date.now())));
      }
    } finally {
      closeMailer();
    }
  },
};
