/** The Function resource kind: fields of the reference §4.4 (Python code run as a tool or on demand). */
import type { JSONSchema } from '../validation.js';
import { iconField } from '../resource/icon-field.js';
import type { ResourceKind } from '../resource/resource-kind.js';

const nullable = (s: JSONSchema): JSONSchema => ({ anyOf: [s, { type: 'null' }] });
/**
 * a JSON Schema for the function's input: an object with a `type`, or {} for any object (as an
 * agent's `input_schema` takes it; the input is an object either way)
 */
const inputSchema: JSONSchema = {
  type: 'object',
  anyOf: [{ required: ['type'] }, { maxProperties: 0 }],
  default: { type: 'object' },
};
/** the output's JSON Schema: an object with a `type`, or {} (the default) for any JSON value */
const outputSchema: JSONSchema = {
  type: 'object',
  anyOf: [{ required: ['type'] }, { maxProperties: 0 }],
  default: {},
};

export const functionKind: ResourceKind = {
  type: 'Function',
  category: 'function',
  table: 'functions',
  path: 'functions',
  resource: 'functions',
  fields: {
    description: nullable({ type: 'string', maxLength: 10_000 }),
    code: { type: 'string', minLength: 1, maxLength: 1_000_000 },
    input_schema: inputSchema,
    output_schema: outputSchema,
    icon: iconField,
    shared_pool: { type: 'boolean', default: false },
    requires_approval: { type: 'boolean', default: false },
    /** seconds; null: the platform default */
    timeout: nullable({ type: 'integer', minimum: 1, maximum: 3600 }),
  },
  requiredFields: ['code'],
  // no hyphens: `{ns}__{name}` must be a valid tool name and a Python identifier (legacy entry point)
  namespacePattern: '^[a-zA-Z_][a-zA-Z0-9_]*$',
  namePattern: '^[a-zA-Z_][a-zA-Z0-9_]*$',
  nameMaxLength: 255,
};

export const FUNCTION_SCHEMA_FIELDS = ['input_schema', 'output_schema'] as const;

/** Trusted shared-pool functions get secrets and no sandbox: asking for one needs this permission. */
export function sharedPoolPermission(body: unknown): string | undefined {
  return (body as { shared_pool?: unknown } | undefined)?.shared_pool === true
    ? 'sinas.functions.shared_pool:all'
    : undefined;
}
