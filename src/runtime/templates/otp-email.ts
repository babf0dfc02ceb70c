/**
 * The platform's default `otp_email` template (reference §5.12): what login's one-time-code email
 * is rendered from while no `default/otp_email` template is stored. Storing one (the API or a
 * config) changes the email login sends; its variables are `otp_code`, `email` and `valid_minutes`.
 */
import type { TemplateSpec } from './template-renderer.js';

export const OTP_EMAIL = { namespace: 'default', name: 'otp_email' } as const;

export const DEFAULT_OTP_EMAIL: TemplateSpec = {
  title: 'Your Sinas login code',
  html_content:
    '<p>Your Sinas login code is <strong>{{ otp_code }}</strong></p>\n' +
    '<p>It is valid for {{ valid_minutes }} minutes and can be used once. ' +
    'If you did not ask to log in, ignore this message.</p>\n',
  text_content:
    'Your Sinas login code is {{ otp_code }}\n\nIt is valid for {{ valid_minutes }} minutes and can be used once. ' +
    'If you did not ask to log in, ignore this message.\n',
  variable_schema: {
    type: 'object',
    required: ['otp_code'],
    properties: {
      otp_code: { type: 'string' },
      email: { type: 'string' },
      valid_minutes: { type: 'integer' },
    },
  },
};
