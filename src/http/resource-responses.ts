/** How a kind's items look in responses and OpenAPI: its fields, never a write-only or internal one. */
import type { ResourceData } from '../commands/resource/decider.js';
import {
  byId,
  hasLifecycleApi,
  keyFieldOf,
  namespaceName,
  type ResourceKind,
} from '../commands/resource/resource-kind.js';
import { createSchema, identitySchemas } from '../commands/resource/resource-schemas.js';
import type { JSONSchema } from '../commands/validation.js';

const hiddenOf = (kind: ResourceKind) =>
  new Set([...(kind.writeOnlyFields ?? []), ...(kind.internalFields ?? [])]);

/** path parameters of an item route */
export function identityParams(kind: ResourceKind): Record<string, JSONSchema> {
  if (byId(kind)) return { id: { type: 'string', format: 'uuid' } };
  const byName: JSONSchema = { type: 'string', pattern: kind.namePattern, maxLength: kind.nameMaxLength };
  const name: JSONSchema = kind.alsoById ? { anyOf: [byName, { type: 'string', format: 'uuid' }] } : byName;
  if (kind.namespaced === false || kind.namespaceField) return { [keyFieldOf(kind)]: name };
  return {
    namespace: { type: 'string', pattern: kind.namespacePattern, maxLength: kind.nameMaxLength },
    name,
  };
}

/** the item route under /api/v1/<path>: by id, by namespace and name, or by name (slashes and all) */
export function itemRoute(kind: ResourceKind): string {
  const base = `/api/v1/${kind.path}`;
  if (byId(kind)) return `${base}/:id`;
  if (kind.namespaced !== false && !kind.namespaceField) return `${base}/:namespace/:name`;
  return `${base}/${kind.nameField?.slashes ? '*' : ':'}${keyFieldOf(kind)}`;
}

/** query parameters that pick among items of one name (secrets: `visibility`) */
export function pickerQuery(kind: ResourceKind): Record<string, JSONSchema> {
  const ns = namespaceName(kind);
  if (!kind.namespaceField || !ns) return {};
  const { default: _d, ...schema } = identitySchemas(kind)[ns] as Record<string, unknown>;
  return { [ns]: schema };
}

export function responseSchema(kind: ResourceKind, extra: Record<string, JSONSchema> = {}): JSONSchema {
  const props = { ...(createSchema(kind) as { properties: Record<string, JSONSchema> }).properties };
  for (const f of kind.writeOnlyFields ?? []) {
    delete props[f];
    props[`has_${f}`] = { type: 'boolean', description: `the ${f} is write-only and never returned` };
  }
  return {
    type: 'object',
    properties: {
      id: { type: 'string', format: 'uuid' },
      user_id: { type: 'string' },
      ...props,
      ...(hasLifecycleApi(kind) ? { is_active: { type: 'boolean' } } : {}),
      version: { type: 'integer' },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
      ...('icon' in kind.fields ? { icon_url: { type: ['string', 'null'] } } : {}),
      ...extra,
    },
  };
}

/** an item in a list: the response without the fields the kind shows only on a read of one */
export function listItemSchema(kind: ResourceKind, extra: Record<string, JSONSchema> = {}): JSONSchema {
  const one = responseSchema(kind, extra) as { properties: Record<string, JSONSchema> };
  const omitted = new Set(kind.listOmits ?? []);
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(one.properties).filter(([f]) => !omitted.has(f))),
  };
}

export function forList(kind: ResourceKind, shown: Record<string, unknown>): Record<string, unknown> {
  const omitted = new Set(kind.listOmits ?? []);
  return omitted.size ? Object.fromEntries(Object.entries(shown).filter(([f]) => !omitted.has(f))) : shown;
}

export function toResponse(
  kind: ResourceKind,
  r: ResourceData & { version: number },
): Record<string, unknown> {
  const icon = r.spec.icon;
  const hidden = hiddenOf(kind);
  const ns = namespaceName(kind);
  return {
    id: r.id,
    user_id: r.ownerId,
    ...(ns ? { [ns]: r.namespace } : {}),
    ...(byId(kind) ? {} : { [keyFieldOf(kind)]: r.name }),
    ...Object.fromEntries(
      Object.keys(kind.fields)
        .filter((f) => !hidden.has(f))
        // a field the item was saved without (it came later: a webhook's is_active) shows its default
        .map((f) => [f, r.spec[f] ?? (kind.fields[f] as { default?: unknown }).default ?? null]),
    ),
    ...Object.fromEntries(
      (kind.writeOnlyFields ?? []).map((f) => [`has_${f}`, r.spec[f] !== undefined && r.spec[f] !== null]),
    ),
    ...(hasLifecycleApi(kind) ? { is_active: true } : {}),
    version: r.version,
    created_at: r.createdAt,
    updated_at: r.updatedAt,
    ...('icon' in kind.fields
      ? { icon_url: typeof icon === 'string' && icon.startsWith('url:') ? icon.slice(4) : null }
      : {}),
  };
}

/** A past version: the item then, or (where the API has no `is_active`) that it was deleted. */
export function versionResponse(
  kind: ResourceKind,
  then: ResourceData & { version: number; status: string },
): Record<string, unknown> {
  const active = then.status === 'active';
  if (hasLifecycleApi(kind)) return { ...toResponse(kind, then), is_active: active };
  if (active) return toResponse(kind, then);
  const ns = namespaceName(kind);
  return {
    ...(byId(kind) ? { id: then.id } : { [keyFieldOf(kind)]: then.name }),
    ...(ns ? { [ns]: then.namespace } : {}),
    deleted: true,
    version: then.version,
  };
}
