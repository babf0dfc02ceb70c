/**
 * Login's one-time-code email, rendered from the `default/otp_email` template (the platform's
 * default while none is stored). A stored template that no longer renders (a variable it names
 * that login does not give) must not lock everyone out: the platform's default is sent instead,
 * and the failure logged without the code.
 */
import type { Logger } from 'pino';
import type { MailContent } from '../auth/mailer.js';
import { DEFAULT_OTP_EMAIL, OTP_EMAIL } from './otp-email.js';
import { findTemplate, renderFound, type Rendered, type TemplateSource } from './template-renderer.js';

export interface LoginCodeVars {
  readonly email: string;
  readonly code: string;
  readonly validMinutes: number;
}

export type LoginEmail = (v: LoginCodeVars) => Promise<MailContent>;

export function loginEmailFrom(source: TemplateSource, log: Pick<Logger, 'warn'>): LoginEmail {
  return async (v) => {
    const variables = { otp_code: v.code, email: v.email, valid_minutes: v.validMinutes };
    const found = await findTemplate(source, OTP_EMAIL.namespace, OTP_EMAIL.name);
    try {
      return contentOf(renderFound(found, variables));
    } catch (err) {
      log.warn(
        { err: { message: (err as Error).message } },
        'the stored otp_email template does not render: the platform default was sent',
      );
      const fallback = { ...found, ownerId: null, spec: DEFAULT_OTP_EMAIL };
      return contentOf(renderFound(fallback, variables));
    }
  };
}

/** The subject is the title (default "Notification"); no text template: the HTML without its tags. */
export function contentOf(r: Rendered): MailContent {
  return {
    subject: r.title?.trim() || 'Notification',
    text: r.text_content ?? stripTags(r.html_content),
    html: r.html_content,
  };
}

const stripTags = (html: string) => html.replace(/<[^>]*>/g, '');
