/**
 * `spec.connectors` (reference §6.3): the Connector kind's fields in camelCase, nested ones included
 * (`auth.paramName`, `retry.maxAttempts`, `operations[].requestBodyMapping`), while what users wrote
 * themselves (an operation's `parameters` schema, header names) is kept as written.
 */
import {
  CONNECTOR_FIELDS,
  OPERATION_SCHEMA,
  AUTH_SCHEMA,
  connectorKind,
} from '../../connector/connector-kind.js';
import type { ResourceService } from '../../resource/resource-service.js';
import type { JSONSchema } from '../../validation.js';
import { camel } from '../config-section.js';
import { direct, resourceSection, type FieldMapping, type KindItems } from './resource-section.js';

type Obj = Record<string, unknown>;
const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const renamed = (o: unknown, to: (k: string) => string): unknown =>
  typeof o === 'object' && o !== null && !Array.isArray(o)
    ? Object.fromEntries(Object.entries(o).map(([k, v]) => [to(k), v]))
    : o;

/** an object schema with its own property names (and `required`) in camelCase; nested ones as they are */
function camelSchema(schema: JSONSchema): JSONSchema {
  const props = (schema.properties ?? {}) as Obj;
  return {
    ...schema,
    properties: Object.fromEntries(Object.entries(props).map(([k, v]) => [camel(k), v])),
    ...(Array.isArray(schema.required) ? { required: (schema.required as string[]).map(camel) } : {}),
    ...(schema.default !== undefined ? { default: renamed(schema.default, camel) } : {}),
  };
}

/** a field whose object value (or list of objects) has its keys in camelCase in YAML */
function camelField(field: 'auth' | 'retry' | 'operations', schema: JSONSchema): FieldMapping {
  const list = field === 'operations';
  const toYaml = (v: unknown) =>
    list && Array.isArray(v) ? v.map((o) => renamed(o, camel)) : renamed(v, camel);
  const toSpec = (v: unknown) =>
    list && Array.isArray(v) ? v.map((o) => renamed(o, snake)) : renamed(v, snake);
  return {
    yaml: field,
    schema,
    fallback: toYaml(CONNECTOR_FIELDS[field]!.default ?? null),
    read: (spec) => toYaml(spec[field]),
    write: (value) => ({ [field]: toSpec(value) }),
  };
}

export function connectorsSection(service: ResourceService, items: KindItems) {
  return resourceSection({
    name: 'connectors',
    resourceType: 'connector',
    service,
    items,
    fields: [
      direct(connectorKind, 'description'),
      direct(connectorKind, 'base_url'),
      camelField('auth', camelSchema(AUTH_SCHEMA)),
      direct(connectorKind, 'headers'),
      camelField('retry', camelSchema(CONNECTOR_FIELDS.retry!)),
      direct(connectorKind, 'timeout_seconds'),
      camelField('operations', { ...CONNECTOR_FIELDS.operations!, items: camelSchema(OPERATION_SCHEMA) }),
    ],
    required: ['baseUrl'],
  });
}
