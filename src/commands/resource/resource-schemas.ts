/** Request-body JSON schemas of a kind, derived from its field schemas (and used by OpenAPI). */
import type { JSONSchema } from '../validation.js';
import {
  byId,
  hasLifecycleApi,
  keyFieldOf,
  namespaceName,
  writableFields,
  type ResourceKind,
} from './resource-kind.js';

const created = new WeakMap<ResourceKind, JSONSchema>();
const updated = new WeakMap<ResourceKind, JSONSchema>();

/** The schemas of the identity fields: the namespace and the name (each under its API name). */
export function identitySchemas(kind: ResourceKind): Record<string, JSONSchema> {
  if (byId(kind)) return {};
  const name: JSONSchema = {
    type: 'string',
    minLength: 1,
    maxLength: kind.nameMaxLength,
    pattern: kind.namePattern,
  };
  const ns = namespaceName(kind);
  if (ns === undefined) return { [keyFieldOf(kind)]: name };
  const schema = kind.namespaceField?.schema ?? {
    type: 'string',
    minLength: 1,
    maxLength: kind.nameMaxLength,
    pattern: kind.namespacePattern,
    default: 'default',
  };
  return { [ns]: schema, [keyFieldOf(kind)]: name };
}

const pick = (kind: ResourceKind, on: 'create' | 'update') =>
  Object.fromEntries(writableFields(kind, on).map((f) => [f, kind.fields[f]!]));

export function createSchema(kind: ResourceKind): JSONSchema {
  let s = created.get(kind);
  if (!s) {
    s = {
      type: 'object',
      additionalProperties: false,
      required: [...(byId(kind) ? [] : [keyFieldOf(kind)]), ...(kind.requiredFields ?? [])],
      properties: { ...identitySchemas(kind), ...pick(kind, 'create') },
    };
    created.set(kind, s);
  }
  return s;
}

/** Partial update: no defaults, nothing required; on the resource API `is_active: false` deletes. */
export function updateSchema(kind: ResourceKind): JSONSchema {
  let s = updated.get(kind);
  if (!s) {
    const lifecycle = hasLifecycleApi(kind);
    const properties = Object.fromEntries(
      Object.entries({ ...(lifecycle ? identitySchemas(kind) : {}), ...pick(kind, 'update') }).map(
        ([k, v]) => [k, stripDefault(v)],
      ),
    );
    s = {
      type: 'object',
      additionalProperties: false,
      properties: { ...properties, ...(lifecycle ? { is_active: { type: 'boolean' } } : {}) },
    };
    updated.set(kind, s);
  }
  return s;
}

function stripDefault(s: JSONSchema): JSONSchema {
  const { default: _d, ...rest } = s as Record<string, unknown>;
  return rest;
}
