/**
 * The Manifest kind (reference §5.13) on the kit: an application's declaration of the resources
 * and permissions it needs and, in `exposed_namespaces`, which namespaces of each resource type the
 * discovery routes show when a request names the application (`X-Application: ns/name` or
 * `?app=`; src/http/discovery.ts). A type missing from `exposed_namespaces` shows nothing; `["*"]`
 * shows every namespace.
 */
import type { ResourceKind } from '../resource/resource-kind.js';
import type { JSONSchema } from '../validation.js';

export const MANIFEST_NAME = '^[a-zA-Z][a-zA-Z0-9_-]*$';

/** the resource types a manifest may expose namespaces of */
export const EXPOSABLE = [
  'agents',
  'functions',
  'skills',
  'templates',
  'collections',
  'components',
  'stores',
] as const;
export type Exposable = (typeof EXPOSABLE)[number];

/**
 * The resource types a manifest may require, with the registered kind each names (its config
 * section and `services.kinds.<name>`): a config's reference check and the status endpoint use it.
 */
export const REQUIRED_RESOURCE_TYPES: Readonly<Record<string, string>> = {
  agent: 'agents',
  function: 'functions',
  skill: 'skills',
  collection: 'collections',
  template: 'templates',
  query: 'queries',
  component: 'components',
  store: 'stores',
  connector: 'connectors',
};

const NAMESPACES: JSONSchema = {
  type: 'array',
  maxItems: 1000,
  items: { type: 'string', pattern: '^(\\*|[a-zA-Z_][a-zA-Z0-9_-]*)$', maxLength: 255 },
};
const PERMISSIONS: JSONSchema = {
  type: 'array',
  maxItems: 1000,
  items: { type: 'string', minLength: 1, maxLength: 500 },
  default: [],
};

export const manifestKind: ResourceKind = {
  type: 'Manifest',
  category: 'manifest',
  table: 'manifests',
  path: 'manifests',
  resource: 'manifests',
  fields: {
    description: { anyOf: [{ type: 'string', maxLength: 10_000 }, { type: 'null' }], default: null },
    required_resources: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['type', 'namespace', 'name'],
        additionalProperties: false,
        properties: {
          type: { type: 'string', minLength: 1, maxLength: 100 },
          namespace: { type: 'string', minLength: 1, maxLength: 255 },
          name: { type: 'string', minLength: 1, maxLength: 255 },
        },
      },
      default: [],
    },
    required_permissions: PERMISSIONS,
    optional_permissions: PERMISSIONS,
    exposed_namespaces: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(EXPOSABLE.map((t) => [t, NAMESPACES])),
      default: {},
    },
    store_dependencies: {
      type: 'array',
      maxItems: 1000,
      items: {
        type: 'object',
        required: ['store'],
        additionalProperties: false,
        properties: {
          store: { type: 'string', minLength: 1, maxLength: 511 },
          key: { type: 'string', minLength: 1, maxLength: 255 },
        },
      },
      default: [],
    },
  },
  namespacePattern: MANIFEST_NAME,
  namePattern: MANIFEST_NAME,
  nameMaxLength: 255,
};

/**
 * The namespaces of `type` an application shows: undefined for every namespace (`["*"]`), an
 * empty list when it exposes none of that type.
 */
export function exposedNamespaces(
  spec: Readonly<Record<string, unknown>>,
  type: Exposable,
): string[] | undefined {
  const exposed = (spec.exposed_namespaces ?? {}) as Partial<Record<Exposable, string[]>>;
  const namespaces = exposed[type];
  if (namespaces === undefined) return [];
  return namespaces.includes('*') ? undefined : namespaces;
}
