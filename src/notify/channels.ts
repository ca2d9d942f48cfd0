// How a message leaves: e-mail through nodemailer to SMTP_URL, SMS through an HTTP gateway adapter.
// Each channel answers with one outcome in GOV.UK Notify's terms, so the outbox decides retries alone.
import os from 'node:os';
import nodemailer, { type Transporter } from 'nodemailer';
import Joi from 'joi';
import { getConfig } from '../config.ts';
import type { Status } from './models.ts';

/** What one try of a channel came to. */
export interface SendResult {
  outcome: Extract<Status, 'delivered' | 'temporary-failure' | 'permanent-failure' | 'technical-failure'>;
  /** The other side's answer (SMTP reply, gateway body) or the error, for the attempt log. */
  response: string;
}

/** What a channel is asked to deliver. */
export interface OutgoingMessage {
  id: number;
  to: string;
  subject: string;
  body: string;
}

const emailSchema = Joi.string().email({ tlds: false }).max(254);
const phoneSchema = Joi.string().pattern(/^\+?[0-9]{9,15}$/);

/**
 * The everyday shape of an address (dot-separated ASCII words, host names of letters, digits and
 * inner hyphens, a top-level label starting with a letter): a strict subset of what the full check
 * accepts, so it answers the common case without it (the full check was a visible part of each try's
 * cost); anything else goes to the full check.
 */
const PLAIN_EMAIL = /^[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** Whether an address is of the everyday shape that the full check accepts as well (exported for its test). */
export function isPlainEmail(to: string): boolean {
  return to.length <= 254 && PLAIN_EMAIL.test(to) && to.indexOf('@') <= 64;
}

/** Whether an address can be tried at all by the channel (a malformed one fails permanently at once). */
export function isDeliverableAddress(channel: string, to: string): boolean {
  if (channel === 'email') return isPlainEmail(to) || !emailSchema.validate(to).error;
  if (channel === 'sms') return !phoneSchema.validate(to).error;
  return true;
}

let transport: { url: string; transporter: Transporter } | null = null;

/** The pooled SMTP transport of this process (rebuilt when SMTP_URL changes, e.g. between tests). */
function mailer(): Transporter | null {
  const url = getConfig().smtpUrl;
  if (!url) return null;
  if (transport?.url !== url) {
    transport?.transporter.close();
    // A pool keeps a few connections open, so a burst of messages does not pay a handshake each. A try
    // must end within the hold a node has on it (the job lease), or another node could take it over
    // while the server is still answering: the timeouts are fractions of that lease.
    const lease = getConfig().jobLeaseMs;
    transport = {
      url,
      transporter: nodemailer.createTransport({
        url, pool: true, maxConnections: 8, maxMessages: Infinity,
        connectionTimeout: Math.min(10000, lease / 4), greetingTimeout: Math.min(10000, lease / 4), socketTimeout: Math.min(20000, lease / 2),
      }),
    };
  }
  return transport.transporter;
}

/** Closes the pooled SMTP connections (process shutdown, tests). */
export function closeMailer(): void {
  transport?.transporter.close();
  transport = null;
}

/** The Message-ID of a message: stable across tries, so a mailbox can fold a duplicate of an interrupted try. */
export function messageIdOf(id: number): string {
  const baseUrl = getConfig().baseUrl;
  if (idHost?.baseUrl !== baseUrl) idHost = { baseUrl, host: new URL(baseUrl).hostname || os.hostname() };
  return `<notify-${id}@${idHost.host}>`;
}

/** The host part of Message-IDs, parsed once per BASE_URL rather than once per message. */
let idHost: { baseUrl: string; host: string } | null = null;

/** Sends one e-mail; SMTP 5xx and rejected addresses are permanent, 4xx temporary, no answer technical. */
export async function sendEmail(m: OutgoingMessage): Promise<SendResult> {
  const t = mailer();
  if (!t) return { outcome: 'technical-failure', response: 'SMTP_URL is not configured' };
  try {
    const info = await t.sendMail({ from: getConfig().mailFrom, to: m.to, subject: m.subject, text: m.body, messageId: messageIdOf(m.id), headers: { 'X-Govflow-Message': String(m.id) } });
    if (info.rejected?.length) return { outcome: 'permanent-failure', response: String(info.response ?? 'rejected') };
    return { outcome: 'delivered', response: String(info.response ?? '') };
  } catch (err) {
    const e = err as { responseCode?: number; code?: string; response?: string; message?: string };
    const response = String(e.response ?? e.message ?? err).slice(0, 2000);
    if (typeof e.responseCode === 'number' && e.responseCode >= 500) return { outcome: 'permanent-failure', response };
    if (typeof e.responseCode === 'number' && e.responseCode >= 400) return { outcome: 'temporary-failure', response };
    // No recipient the server would take, without a reply code: the address itself is unusable.
    if (e.code === 'EENVELOPE') return { outcome: 'permanent-failure', response };
    return { outcome: 'technical-failure', response };
  }
}

/** An SMS gateway: one call per message. */
export interface SmsGateway {
  send(to: string, text: string, messageId: number): Promise<SendResult>;
}

/**
 * The HTTP gateway adapter: a JSON POST `{to, text, brandname, reference}` with the key in `x-api-key`,
 * the shape Vietnamese brandname gateways take. 2xx: accepted; 400/404/422: the number or text is
 * refused (permanent); 429 and 5xx: try again; no answer: technical.
 */
export class HttpSmsGateway implements SmsGateway {
  constructor(private readonly url: string, private readonly key: string, private readonly brand: string) {}

  async send(to: string, text: string, messageId: number): Promise<SendResult> {
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': this.key },
        body: JSON.stringify({ to, text, brandname: this.brand, reference: `notify-${messageId}` }),
        signal: AbortSignal.timeout(15000),
      });
      const response = `${res.status} ${(await res.text()).slice(0, 1000)}`;
      if (res.ok) return { outcome: 'delivered', response };
      if ([400, 404, 422].includes(res.status)) return { outcome: 'permanent-failure', response };
      if (res.status === 429 || res.status >= 500) return { outcome: 'temporary-failure', response };
      return { outcome: 'technical-failure', response };
    } catch (err) {
      return { outcome: 'technical-failure', response: String((err as Error)?.message ?? err).slice(0, 2000) };
    }
  }
}

/** Sends one SMS through the configured gateway. */
export async function sendSms(m: OutgoingMessage): Promise<SendResult> {
  const cfg = getConfig();
  if (!cfg.notifySmsUrl) return { outcome: 'technical-failure', response: 'NOTIFY_SMS_URL is not configured' };
  return new HttpSmsGateway(cfg.notifySmsUrl, cfg.notifySmsKey, cfg.notifySmsBrand).send(m.to, m.body, m.id);
}
