/**
 * The Template kind's routes (reference §5.12): the kit's management routes under
 * /api/v1/templates, a preview render there (`read`), and the runtime's render (`render`) and email
 * (`send`) endpoints. Each checks the permission on the item, own or all, with the template's owner
 * (the platform's default `otp_email` has none). Email needs SMTP: without it, a 503 that says so.
 */
import type { Request } from 'express';
import { itemPermission, type PermissionMap } from '../commands/identity/permissions.js';
import { TEMPLATE_NAME } from '../commands/template/template-kind.js';
import { UnavailableError } from '../errors.js';
import type { Mailer } from '../runtime/auth/mailer.js';
import { contentOf } from '../runtime/templates/login-email.js';
import {
  checkTemplate,
  findTemplate,
  renderFound,
  type FoundTemplate,
  type TemplateSource,
} from '../runtime/templates/template-renderer.js';
import { principalOf } from './auth.js';
import type { RouteRegistry } from './routes.js';

export interface TemplateRouteDeps {
  readonly templates: TemplateSource;
  readonly mailer: Mailer | undefined;
}

const EVERYTHING: PermissionMap = Object.freeze({ 'sinas.*:all': true });
const NAME = { type: 'string', pattern: TEMPLATE_NAME, maxLength: 255 };
const VARIABLES = { type: 'object', default: {}, maxProperties: 1000 };
const RENDERED = {
  type: 'object',
  properties: {
    title: { type: ['string', 'null'] },
    html_content: { type: 'string' },
    text_content: { type: ['string', 'null'] },
  },
};
const EMAIL_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['to'],
  properties: {
    to: { type: 'string', format: 'email', maxLength: 320 },
    from_alias: { type: 'string', pattern: '^[A-Za-z0-9._+-]+$', minLength: 1, maxLength: 64 },
    from_name: { type: 'string', pattern: '^[^\\r\\n<>"]*$', maxLength: 100 },
    variables: VARIABLES,
  },
};

export function registerTemplateRoutes(registry: RouteRegistry, d: TemplateRouteDeps): void {
  /** the template the path names, if the caller may `action` it */
  const allowed = async (req: Request, action: string): Promise<FoundTemplate> => {
    const { namespace, name } = req.params as { namespace: string; name: string };
    const found = await findTemplate(d.templates, namespace, name);
    const p = principalOf(req);
    checkTemplate(p.isAdmin ? EVERYTHING : p.permissions, p.userId, found, action);
    return found;
  };
  const variablesOf = (req: Request) => (req.body as { variables: Record<string, unknown> }).variables;
  const route = (path: string, action: string) => ({
    method: 'post' as const,
    path,
    access: {
      permission: (req: Request) => {
        const { namespace, name } = req.params as { namespace: string; name: string };
        return itemPermission('templates', { namespaced: true, namespace, name }, action, 'own');
      },
    },
    tags: ['Templates'],
    params: { namespace: NAME, name: NAME },
  });
  registry.add({
    ...route('/api/v1/templates/:namespace/:name/render', 'read'),
    summary: 'Preview a template rendered with `variables` (checked against its variable_schema)',
    body: { type: 'object', additionalProperties: false, properties: { variables: VARIABLES } },
    responses: { 200: RENDERED },
    handler: async (req, res) => {
      res.json(renderFound(await allowed(req, 'read'), variablesOf(req)));
    },
  });
  registry.add({
    ...route('/templates/:namespace/:name/render', 'render'),
    summary: 'Render a template with `variables` (checked against its variable_schema)',
    body: { type: 'object', additionalProperties: false, properties: { variables: VARIABLES } },
    responses: { 200: RENDERED },
    handler: async (req, res) => {
      res.json(renderFound(await allowed(req, 'render'), variablesOf(req)));
    },
  });
  registry.add({
    ...route('/templates/:namespace/:name/email', 'send'),
    summary:
      'Render a template and email it to `to` (subject: its title, else "Notification"). 503 when the server has no SMTP',
    body: EMAIL_BODY,
    responses: {
      200: { type: 'object', properties: { message: { type: 'string' }, to: { type: 'string' } } },
    },
    handler: async (req, res) => {
      const found = await allowed(req, 'send');
      const send = d.mailer?.send;
      if (!send)
        throw new UnavailableError(
          'email is not available: the server has no SMTP configured (SMTP_URL or SMTP_HOST)',
        );
      const b = req.body as { to: string; from_alias?: string; from_name?: string };
      const content = contentOf(renderFound(found, variablesOf(req)));
      await send({
        ...content,
        to: b.to,
        ...(b.from_alias !== undefined ? { fromAlias: b.from_alias } : {}),
        ...(b.from_name !== undefined ? { fromName: b.from_name } : {}),
      });
      res.json({ message: 'Email sent successfully', to: b.to });
    },
  });
}
