// Mail to account owners (registration links, notices) through the configured SMTP server.
import nodemailer, { type Transporter } from 'nodemailer';
import { getConfig } from '../config.ts';
import { log } from '../log.ts';

let transport: { url: string; transporter: Transporter } | undefined;

function transporter(url: string): Transporter {
  if (transport?.url !== url) transport = { url, transporter: nodemailer.createTransport(url) };
  return transport.transporter;
}

/**
 * Sends a plain-text mail; returns whether it left. Without `SMTP_URL` nothing is sent: development
 * logs the text instead (so a developer can follow a registration link), production logs only that
 * the mail was dropped.
 */
export async function sendAccountMail(to: string, subject: string, text: string): Promise<boolean> {
  const cfg = getConfig();
  if (!cfg.smtpUrl) {
    if (cfg.nodeEnv === 'development') log.info('mail not sent (SMTP_URL is empty)', { to, subject, text });
    else log.warn('mail not sent (SMTP_URL is empty)', { subject });
    return false;
  }
  try {
    await transporter(cfg.smtpUrl).sendMail({ from: cfg.mailFrom, to, subject, text });
    return true;
  } catch (err) {
    // The person gets the same page whether or not the mail left; the operator sees why it did not.
    log.error('mail failed', { subject, error: String(err) });
    return false;
  }
}
