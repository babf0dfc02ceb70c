/** Request-body JSON schemas of a resource kind, derived from its field schemas (and used by OpenAPI). */
import type { JSONSchema } from '../validation.js';
import type { ResourceKind } from './resource-kind.js';

const created = new WeakMap<ResourceKind, JSONSchema>();
const updated = new WeakMap<ResourceKind, JSONSchema>();

function identity(kind: ResourceKind): Record<string, JSONSchema> {
  const name: JSONSchema = {
    type: 'string',
    minLength: 1,
    maxLength: kind.nameMaxLength,
    pattern: kind.namePattern,
  };
  if (kind.namespaced === false) return { name };
  return {
    namespace: {
      type: 'string',
      minLength: 1,
      maxLength: kind.nameMaxLength,
      pattern: kind.namespacePattern,
      default: 'default',
    },
    name,
  };
}

export function createSchema(kind: ResourceKind): JSONSchema {
  let s = created.get(kind);
  if (!s) {
    s = {
      type: 'object',
      additionalProperties: false,
      required: ['name', ...(kind.requiredFields ?? [])],
      properties: { ...identity(kind), ...kind.fields },
    };
    created.set(kind, s);
  }
  return s;
}

/** Partial update: no defaults, nothing required; `is_active: false` deletes. */
export function updateSchema(kind: ResourceKind): JSONSchema {
  let s = updated.get(kind);
  if (!s) {
    const properties = Object.fromEntries(
      Object.entries({ ...identity(kind), ...kind.fields }).map(([k, v]) => [k, stripDefault(v)]),
    );
    s = {
      type: 'object',
      additionalProperties: false,
      properties: { ...properties, is_active: { type: 'boolean' } },
    };
    updated.set(kind, s);
  }
  return s;
}

function stripDefault(s: JSONSchema): JSONSchema {
  const { default: _d, ...rest } = s as Record<string, unknown>;
  return rest;
}
