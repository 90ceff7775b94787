import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import type { Logger } from 'pino';

/**
 * Outgoing mail (SPEC "Portal editions"): through SMTP when SMTP_URL is set; otherwise
 * each message is written to `<dataDir>/outbox/` and its link is logged, so a practice
 * without a mail server (and the tests) can still complete a Premium invitation.
 */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  /** The one link the message is about, logged when there is no SMTP server. */
  link?: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
  /** Where messages go: 'smtp' or the outbox folder. */
  readonly target: string;
}

export function createMailer(options: { smtpUrl?: string; dataDir: string; logger: Logger; from?: string }): Mailer {
  const from = options.from ?? 'ChartKey Patient Portal <no-reply@chartkey.invalid>';
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      target: 'smtp',
      async send(m) {
        await transport.sendMail({ from, to: m.to, subject: m.subject, text: m.text });
        options.logger.info({ mail: { to: m.to, subject: m.subject } }, 'mail sent');
      },
    };
  }
  const outbox = join(options.dataDir, 'outbox');
  return {
    target: outbox,
    async send(m) {
      await mkdir(outbox, { recursive: true, mode: 0o700 });
      const file = join(outbox, `${Date.now()}-${randomBytes(4).toString('hex')}.txt`);
      const body = `From: ${from}\nTo: ${m.to}\nSubject: ${m.subject}\nDate: ${new Date().toUTCString()}\n\n${m.text}\n`;
      await writeFile(file, body, { mode: 0o600 });
      options.logger.info({ mail: { to: m.to, subject: m.subject, file, link: m.link } }, 'mail written to outbox (SMTP_URL not set)');
    },
  };
}
