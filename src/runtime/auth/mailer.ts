/**
 * How a login code reaches its user. SMTP (nodemailer) when configured; in development without
 * SMTP the code is written to the server log behind a loud warning, the one deliberate exception to
 * "no secret in a log"; in production without SMTP there is no mailer and login answers 503.
 * Other email (templates' email endpoint) goes by SMTP only: the development log sends none.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import { TimedOutError, UnavailableError, UpstreamError } from '../../errors.js';
import type { SmtpConfig } from '../config.js';

export interface LoginCodeMail {
  readonly to: string;
  readonly code: string;
  readonly validMinutes: number;
  /** the email rendered from the `otp_email` template; absent: the built-in text */
  readonly message?: MailContent;
}

export interface MailContent {
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
}

/** Any other email: from `<fromAlias or noreply>@<the domain of SMTP_FROM>`, named `fromName`. */
export interface OutgoingMail extends MailContent {
  readonly to: string;
  readonly fromAlias?: string;
  readonly fromName?: string;
}

/** how long an SMTP server may take to accept a message (reference §5.12: 12 seconds) */
export const SEND_TIMEOUT_MS = 12_000;

export interface Mailer {
  /** 'smtp' | 'development-log' */
  readonly kind: string;
  /** Delivers the code, or throws UnavailableError. */
  sendLoginCode(mail: LoginCodeMail): Promise<void>;
  /** sends any email (UpstreamError, TimedOutError); absent where there is no SMTP */
  readonly send?: (mail: OutgoingMail) => Promise<void>;
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
    const content = m.message ?? { subject: SUBJECT, text: body(m) };
    try {
      await this.transport.sendMail({ from: this.config.from, to: m.to, ...content });
    } catch (err) {
      // the error names the server's answer, never the message (which holds the code)
      this.log.error({ err: { message: (err as Error).message } }, 'sending a login code by SMTP failed');
      throw new UnavailableError('the login code could not be sent: try again later');
    }
  }

  readonly send = async (m: OutgoingMail): Promise<void> => {
    const { to, subject, text, html } = m;
    const failure = (err: unknown) => ({ err: { message: (err as Error).message } });
    let late = false;
    const sent = this.transport.sendMail({ from: this.fromOf(m), to, subject, text, html }).catch((err) => {
      // after the time limit answered the caller, a failure can only be logged
      if (late) this.log.warn(failure(err), 'a late SMTP send failed');
      throw err;
    });
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), SEND_TIMEOUT_MS);
    });
    try {
      if ((await Promise.race([sent, limit])) === 'late') {
        late = true;
        sent.catch(() => undefined); // logged above
        throw new TimedOutError(
          `the SMTP server did not accept the email within ${SEND_TIMEOUT_MS / 1000} s`,
        );
      }
    } catch (err) {
      if (err instanceof TimedOutError) throw err;
      this.log.warn(failure(err), 'sending an email by SMTP failed');
      throw new UpstreamError(`the SMTP server did not take the email: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  };

  /** `SMTP_FROM` as is, or the alias and name asked for, at SMTP_FROM's domain */
  private fromOf(m: OutgoingMail): string | { name: string; address: string } {
    if (m.fromAlias === undefined && m.fromName === undefined) return this.config.from;
    const domain = this.config.from.match(/@([^\s>]+)>?\s*$/)?.[1] ?? 'localhost';
    return { name: m.fromName ?? 'SINAS', address: `${m.fromAlias ?? 'noreply'}@${domain}` };
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
