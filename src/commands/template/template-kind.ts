/**
 * The Template kind (reference §5.12) on the kit: an email or message template (`title` as the
 * subject, `html_content`, `text_content`, all Jinja2 rendered as system prompts are) with a
 * `variable_schema` its variables are validated against before rendering. Addressed by namespace
 * and name like every kind on the kit (the original also keyed its management routes by id).
 */
import type { ResourceKind } from '../resource/resource-kind.js';
import type { ResourceServiceOptions } from '../resource/resource-service.js';
import { checkSchema, type JSONSchema } from '../validation.js';

/** lower case only (reference §0.6) */
export const TEMPLATE_NAME = '^[a-z][a-z0-9_-]*$';

const nullableText = (max: number): JSONSchema => ({
  anyOf: [{ type: 'string', maxLength: max }, { type: 'null' }],
  default: null,
});

export const templateKind: ResourceKind = {
  type: 'Template',
  category: 'template',
  table: 'templates',
  path: 'templates',
  resource: 'templates',
  fields: {
    description: nullableText(10_000),
    title: nullableText(1_000),
    html_content: { type: 'string', minLength: 1, maxLength: 1_000_000 },
    text_content: nullableText(1_000_000),
    variable_schema: { type: 'object', default: {} },
  },
  requiredFields: ['html_content'],
  namespacePattern: TEMPLATE_NAME,
  namePattern: TEMPLATE_NAME,
  nameMaxLength: 255,
};

/** The kind's check beyond its schema: `variable_schema` is itself a JSON Schema. */
export const templateHooks: ResourceServiceOptions = {
  checkSpec: async (spec) => {
    if (spec.variable_schema !== undefined) checkSchema(spec.variable_schema, 'variable_schema');
  },
};
