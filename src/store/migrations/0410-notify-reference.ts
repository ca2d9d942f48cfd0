import type { Migration } from '../migrate.ts';

// Scheduled reminders are cancelled by what they are about (`cancelMessages({ reference })`, e.g. when a
// report is submitted before its reminder is due): an index on the reference keeps that one indexed UPDATE.
export const up: Migration = async ({ context: { qi } }) => {
  await qi.addIndex('notify_messages', ['reference', 'status'], { name: 'notify_messages_reference' });
};

export const down: Migration = async ({ context: { qi } }) => {
  await qi.removeIndex('notify_messages', 'notify_messages_reference');
};
