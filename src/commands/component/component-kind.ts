/**
 * The Component kind (reference §5.9) on the kit: a React/TSX `source_code` that the platform
 * compiles (src/runtime/components/) and renders on a page of its own, with the queries, functions,
 * agents, components and stores it may reach through the proxy named in its `enabled_*` lists.
 * The kit's version counts every change; compilation is keyed by the source itself
 * (src/events/component-events.ts), so a change of the title alone leaves a compiled bundle valid.
 */
import type { ResourceKind } from '../resource/resource-kind.js';
import type { ResourceServiceOptions } from '../resource/resource-service.js';
import type { JSONSchema } from '../validation.js';

export const COMPONENT_NAME = '^[a-zA-Z][a-zA-Z0-9_-]*$';
const nullable = (s: JSONSchema): JSONSchema => ({ anyOf: [s, { type: 'null' }] });
const ref: JSONSchema = {
  type: 'string',
  pattern: '^[a-zA-Z_][a-zA-Z0-9_-]*/[a-zA-Z_][a-zA-Z0-9_-]*$',
  maxLength: 511,
};
const refList: JSONSchema = { type: 'array', items: ref, maxItems: 1000, default: [] };

/** the largest source a component may have (it is compiled in a worker) */
export const MAX_SOURCE_CHARS = 500_000;

export const componentKind: ResourceKind = {
  type: 'Component',
  category: 'component',
  table: 'components',
  path: 'components',
  resource: 'components',
  fields: {
    title: nullable({ type: 'string', maxLength: 500 }),
    description: nullable({ type: 'string', maxLength: 10_000 }),
    source_code: { type: 'string', minLength: 1, maxLength: MAX_SOURCE_CHARS },
    input_schema: { type: 'object', default: {} },
    enabled_agents: refList,
    enabled_functions: refList,
    enabled_queries: refList,
    enabled_components: refList,
    enabled_stores: {
      type: 'array',
      maxItems: 1000,
      default: [],
      items: {
        type: 'object',
        required: ['store'],
        additionalProperties: false,
        properties: {
          store: ref,
          access: { type: 'string', enum: ['readonly', 'readwrite'], default: 'readonly' },
        },
      },
    },
    css_overrides: nullable({ type: 'string', maxLength: 100_000 }),
    visibility: { type: 'string', enum: ['private', 'shared', 'public'], default: 'private' },
    is_published: { type: 'boolean', default: false },
  },
  requiredFields: ['source_code'],
  // the large fields; a list shows the rest (§5.9 ComponentListResponse)
  listOmits: ['source_code', 'compiled_bundle', 'source_map', 'css_overrides'],
  // shared and public components: every reader lists and reads them (the original's mixin)
  visibilityField: 'visibility',
  namespacePattern: COMPONENT_NAME,
  namePattern: COMPONENT_NAME,
  nameMaxLength: 255,
};

/** Its `input_schema` must itself be a valid JSON Schema (render validates `input` against it). */
export const componentHooks: ResourceServiceOptions = { schemaFields: ['input_schema'] };
