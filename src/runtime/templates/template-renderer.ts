/**
 * Finding and rendering templates (reference §5.12), for the render and email routes and for
 * login's code email: the active stored template, or the platform's default `otp_email` while none
 * is stored; its variables validated against `variable_schema` (a 400 naming `variables.<field>`);
 * each of title, HTML and text rendered with the system prompts' Jinja settings (strict,
 * autoescaped), a render failure a 400 naming the field that failed.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { canAct, type PermissionMap } from '../../commands/identity/permissions.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import type { JSONSchema } from '../../commands/validation.js';
import { renderTemplate } from '../turns/templates.js';
import { DEFAULT_OTP_EMAIL, OTP_EMAIL } from './otp-email.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export interface TemplateSpec {
  readonly title: string | null;
  readonly html_content: string;
  readonly text_content: string | null;
  readonly variable_schema: JSONSchema;
}

export interface FoundTemplate {
  readonly namespace: string;
  readonly name: string;
  /** null: the platform's default */
  readonly ownerId: string | null;
  readonly spec: TemplateSpec;
}

export interface Rendered {
  readonly title: string | null;
  readonly html_content: string;
  readonly text_content: string | null;
}

/** The Template kind's service, read at each use; undefined on a platform without the kind. */
export type TemplateSource = Pick<ResourceService, 'current'> | undefined;

/** The active template `ns/name`, the default `otp_email` when none is stored; else NotFoundError. */
export async function findTemplate(
  source: TemplateSource,
  namespace: string,
  name: string,
): Promise<FoundTemplate> {
  const stored = await source
    ?.current(namespace, name)
    // not stored: the platform's default, or a 404
    .catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
  if (stored?.status === 'active')
    return { namespace, name, ownerId: stored.ownerId, spec: stored.spec as unknown as TemplateSpec };
  if (namespace === OTP_EMAIL.namespace && name === OTP_EMAIL.name)
    return { namespace, name, ownerId: null, spec: DEFAULT_OTP_EMAIL };
  throw new NotFoundError(`template '${namespace}/${name}' not found`, 'name');
}

/** Throws ForbiddenError unless `permissions` allow `action` on `t` (own or all; the default: any holder). */
export function checkTemplate(
  permissions: PermissionMap,
  callerId: string,
  t: FoundTemplate,
  action: string,
): void {
  const item = { namespaced: true as const, namespace: t.namespace, name: t.name };
  if (canAct(permissions, { ...item, resource: 'templates', action, ownerId: t.ownerId, callerId })) return;
  throw new ForbiddenError(`not permitted to ${action} template '${t.namespace}/${t.name}'`);
}

/** Validates `variables` against the template's schema, then renders each field. */
export function renderFound(t: FoundTemplate, variables: Readonly<Record<string, unknown>>): Rendered {
  const vars = checkVariables(t.spec.variable_schema ?? {}, { ...variables });
  const one = (field: keyof Rendered, text: string | null) => {
    if (text === null || text === undefined) return null;
    try {
      return renderTemplate(text, vars);
    } catch (err) {
      throw new ValidationError(`${field} could not be rendered: ${firstLine(err)}`, field);
    }
  };
  return {
    title: one('title', t.spec.title),
    html_content: one('html_content', t.spec.html_content) ?? '',
    text_content: one('text_content', t.spec.text_content),
  };
}

function checkVariables(schema: JSONSchema, variables: Record<string, unknown>): Record<string, unknown> {
  const check = validatorOf(schema);
  if (check(variables)) return variables;
  const errors = (check.errors ?? []).map((e) => {
    const path = e.instancePath.split('/').filter(Boolean);
    const missing = (e.params as { missingProperty?: string }).missingProperty;
    if (e.keyword === 'required' && missing) path.push(missing);
    return { field: ['variables', ...path].join('.'), message: e.message ?? 'is invalid' };
  });
  const first = errors[0]!;
  throw new ValidationError(`${first.field}: ${first.message}`, first.field, errors);
}

/** user schemas compile in their own ajv, cached by their text (a bounded number of them) */
const ajv = addFormats(new Ajv({ allErrors: true, useDefaults: true, strict: false, logger: false }));
const compiled = new Map<string, { readonly schema: object; readonly check: ValidateFunction }>();
const MAX_COMPILED = 500;

function validatorOf(schema: JSONSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  const known = compiled.get(key);
  if (known) return known.check;
  let check: ValidateFunction;
  try {
    check = ajv.compile(schema as object);
  } catch (err) {
    // a schema ajv cannot compile (stored before a check could see it): the template's fault
    throw new ValidationError(`variable_schema cannot be used: ${firstLine(err)}`, 'variable_schema');
  }
  if (compiled.size >= MAX_COMPILED) {
    const [oldest, entry] = compiled.entries().next().value as [string, { schema: object }];
    compiled.delete(oldest);
    ajv.removeSchema(entry.schema); // ajv keeps every schema it compiled, by the object
  }
  compiled.set(key, { schema: schema as object, check });
  return check;
}

const firstLine = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0]!;
