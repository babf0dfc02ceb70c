/**
 * The Connector kind (reference §5.2) on the kit: an HTTP API described once (base URL, auth from a
 * secret, static headers, retries, timeout) and its operations, which agents call as tools. What the
 * schema cannot say is checked on save: operation names are unique within the connector, each
 * operation's `parameters` is itself a JSON Schema, and `base_url` is http(s) without credentials.
 * Whether the host may be reached is the outbound guard's call at call time, not here.
 */
import { ValidationError } from '../../errors.js';
import type { ResourceKind } from '../resource/resource-kind.js';
import type { ResourceServiceOptions } from '../resource/resource-service.js';
import { checkSchema, type JSONSchema } from '../validation.js';

export const CONNECTOR_NAME = '^[a-zA-Z_][a-zA-Z0-9_-]*$';
export const OPERATION_NAME = '^[a-zA-Z_][a-zA-Z0-9_-]*$';
export const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const BODY_MAPPINGS = ['json', 'query', 'path_and_json', 'path_and_query'] as const;

const nullableText = (max: number): JSONSchema => ({
  anyOf: [{ type: 'string', maxLength: max }, { type: 'null' }],
  default: null,
});

export const AUTH_SCHEMA: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: {
      type: 'string',
      enum: ['bearer', 'basic', 'api_key', 'sinas_token', 'none'],
      default: 'none',
    },
    secret: {
      anyOf: [{ type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*$', maxLength: 255 }, { type: 'null' }],
    },
    header: {
      anyOf: [{ type: 'string', pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", maxLength: 200 }, { type: 'null' }],
    },
    position: { type: 'string', enum: ['header', 'query'], default: 'header' },
    param_name: { anyOf: [{ type: 'string', minLength: 1, maxLength: 200 }, { type: 'null' }] },
  },
  default: { type: 'none' },
};

export const OPERATION_SCHEMA: JSONSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'method', 'path'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 255, pattern: OPERATION_NAME },
    method: { type: 'string', enum: [...METHODS] },
    path: { type: 'string', maxLength: 2048 },
    description: nullableText(2000),
    parameters: { type: 'object', default: { type: 'object', properties: {} } },
    request_body_mapping: { type: 'string', enum: [...BODY_MAPPINGS], default: 'json' },
    response_mapping: { type: 'string', enum: ['json', 'text'], default: 'json' },
  },
};

export const CONNECTOR_FIELDS: Readonly<Record<string, JSONSchema>> = {
  description: nullableText(10_000),
  base_url: { type: 'string', minLength: 1, maxLength: 2048 },
  auth: AUTH_SCHEMA,
  headers: {
    type: 'object',
    maxProperties: 100,
    propertyNames: { pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$", maxLength: 200 },
    additionalProperties: { type: 'string', maxLength: 8192 },
    default: {},
  },
  retry: {
    type: 'object',
    additionalProperties: false,
    properties: {
      max_attempts: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
      backoff: { type: 'string', enum: ['exponential', 'linear', 'none'], default: 'none' },
    },
    default: { max_attempts: 1, backoff: 'none' },
  },
  timeout_seconds: { type: 'integer', minimum: 1, maximum: 300, default: 30 },
  operations: { type: 'array', maxItems: 1000, items: OPERATION_SCHEMA, default: [] },
};

export const connectorKind: ResourceKind = {
  type: 'Connector',
  category: 'connector',
  table: 'connectors',
  path: 'connectors',
  resource: 'connectors',
  fields: CONNECTOR_FIELDS,
  requiredFields: ['base_url'],
  namespacePattern: CONNECTOR_NAME,
  namePattern: CONNECTOR_NAME,
  nameMaxLength: 100,
};

/** The kind's checks beyond its schema. */
export function connectorHooks(): ResourceServiceOptions {
  return {
    checkSpec: async (spec) => {
      if (typeof spec.base_url === 'string') checkBaseUrl(spec.base_url);
      if (Array.isArray(spec.operations)) checkOperations(spec.operations as Operation[]);
    },
  };
}

interface Operation {
  readonly name: string;
  readonly parameters?: unknown;
}

/** http or https, no user name or password in it (credentials belong in a secret). */
export function checkBaseUrl(raw: string): void {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ValidationError('base_url is not a valid URL', 'base_url');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new ValidationError('base_url must be http or https', 'base_url');
  if (u.username || u.password)
    throw new ValidationError('base_url must not carry credentials (use auth with a secret)', 'base_url');
}

function checkOperations(operations: readonly Operation[]): void {
  const seen = new Set<string>();
  operations.forEach((op, i) => {
    if (seen.has(op.name))
      throw new ValidationError(`operation name '${op.name}' appears twice`, `operations.${i}.name`);
    seen.add(op.name);
    if (op.parameters !== undefined) checkSchema(op.parameters, `operations.${i}.parameters`);
  });
}
