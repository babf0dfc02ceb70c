/**
 * How a login code reaches its user. SMTP (nodemailer) when configured; in development without
 * SMTP the code is written to the server log behind a loud warning, the one deliberate exception to
 * "no secret in a log"; in production without SMTP there is no mailer and login answers 503.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { UnavailableError } from '../../errors.js';
import type { SmtpConfig } from '../config.js';

export interface LoginCodeMail {
  readonly to: string;
  readonly code: string;
  readonly validMinutes: number;
}

export interface Mailer {
  /** 'smtp' | 'development-log' */
  readonly kind: string;
  /** Delivers the code, or throws UnavailableError. */
  sendLoginCode(mail: LoginCodeMail): Promise<void>;
  close(): Promise<void>;
}

const SUBJECT = 'Your Sinas login code';
const body = (m: LoginCodeMail) =>
  `Your Sinas login code is ${m.code}\n\nIt is valid for ${m.validMinutes} minutes and can be used once. ` +
  `If you did not ask to log in, ignore this message.\n`;

export class SmtpMailer implements Mailer {
  readonly kind = 'smtp';
  private readonly transport: Transporter;

  constructor(
    private readonly config: SmtpConfig,
    private readonly log: Logger,
  ) {
    this.transport = config.url
      ? nodemailer.createTransport(config.url)
      : nodemailer.createTransport({
          host: config.host,
          port: config.port,
          secure: config.port === 465,
          ...(config.user ? { auth: { user: config.user, pass: config.password ?? '' } } : {}),
        });
  }

  async sendLoginCode(m: LoginCodeMail): Promise<void> {
    try {
      await this.transport.sendMail({ from: this.config.from, to: m.to, subject: SUBJECT, text: body(m) });
    } catch (err) {
      // the error names the server's answer, never the message (which holds the code)
      this.log.error({ err: { message: (err as Error).message } }, 'sending a login code by SMTP failed');
      throw new UnavailableError('the login code could not be sent: try again later');
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}

/** Development only: the code goes to the server log, loudly. */
export class DevLogMailer implements Mailer {
  readonly kind = 'development-log';

  constructor(private readonly log: Logger) {}

  async sendLoginCode(m: LoginCodeMail): Promise<void> {
    this.log.warn(
      { to: m.to, loginCode: m.code },
      `DEVELOPMENT ONLY, NO SMTP CONFIGURED: the login code for ${m.to} is ${m.code} ` +
        '(set SMTP_URL or SMTP_HOST to send it by email; production refuses to log it)',
    );
  }

  async close(): Promise<void> {}
}

/** The mailer the configuration allows: none in production without SMTP (login answers 503). */
export function createMailer(
  env: 'development' | 'production',
  smtp: SmtpConfig | undefined,
  log: Logger,
): Mailer | undefined {
  if (smtp) return new SmtpMailer(smtp, log);
  if (env === 'production') return undefined;
  return new DevLogMailer(log);
}
