// Message texts per event and language in templates/notify/<event>.<locale>.njk, rendered with the
// view engine's filters. A file holds three parts, each after a marker line: `== subject ==`,
// `== text ==` (the e-mail body and the in-app text) and `== sms ==` (short, without diacritics, as
// brandname SMS are billed by 160-character Latin segments).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';
import { configureEnvironment } from '../web/views.ts';
import type { Locale } from '../i18n/index.ts';

/** The folder of notification templates. */
export const NOTIFY_TEMPLATES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../templates/notify');

/** Events that have templates, as shipped. */
export const EVENTS = [
  'task-assigned', 'returned-for-revision', 'approved', 'signed', 'deadline-reminder', 'overdue', 'child-submitted',
  'dossier-received', 'dossier-needs-documents', 'dossier-result-ready', 'dossier-status', 'test', 'admin-alert',
  'feedback-received', 'feedback-answered', 'feedback-published', 'dossier-tracking-code', 'payment-confirmed',
] as const;
export type NotifyEvent = (typeof EVENTS)[number];

/** A rendered message. */
export interface Rendered {
  subject: string;
  text: string;
  sms: string;
}

// Texts are plain text, never HTML: no autoescaping, or an "&" in a unit name would arrive as "&amp;".
const env = configureEnvironment(new nunjucks.Environment(new nunjucks.FileSystemLoader(NOTIFY_TEMPLATES_DIR), { autoescape: false, throwOnUndefined: false }));

/** Renders the template of an event in a language (Vietnamese when the language has none). */
export function renderMessage(event: string, locale: Locale, data: Record<string, unknown>): Rendered {
  if (!(EVENTS as readonly string[]).includes(event)) throw new Error(`no notification template for event "${event}"`);
  const name = fs.existsSync(path.join(NOTIFY_TEMPLATES_DIR, `${event}.${locale}.njk`)) ? `${event}.${locale}.njk` : `${event}.vi.njk`;
  const out = env.render(name, { ...data, locale }).normalize('NFC');
  const part = (marker: string) => {
    const m = new RegExp(`^== ${marker} ==\\n([\\s\\S]*?)(?=^== \\w+ ==$|(?![\\s\\S]))`, 'm').exec(out);
    return (m?.[1] ?? '').replace(/\n{3,}/g, '\n\n').trim();
  };
  return { subject: part('subject').replace(/\s+/g, ' '), text: part('text'), sms: withoutDiacritics(part('sms').replace(/\s+/g, ' ')) };
}

/** Vietnamese text without tone marks and with đ as d, for SMS. */
export function withoutDiacritics(s: string): string {
  return s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D').normalize('NFC');
}
