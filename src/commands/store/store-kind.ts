/**
 * The Store kind (reference §5.7) on the kit: a named key-value space whose states each user keeps
 * under their own keys (runtime `/stores/{ns}/{name}/states`). `schema` is a JSON Schema checked at
 * save time (so a store never holds a schema ajv cannot compile); `strict` limits keys to its
 * properties and validates each value; `encrypted` seals every state's value under its own data key.
 */
import type { ResourceKind } from '../resource/resource-kind.js';
import type { ResourceServiceOptions } from '../resource/resource-service.js';
import type { JSONSchema } from '../validation.js';

const NAME = '^[a-zA-Z][a-zA-Z0-9_-]*$';
export const STATE_VISIBILITY: JSONSchema = { type: 'string', enum: ['private', 'shared'] };

export const storeKind: ResourceKind = {
  type: 'Store',
  category: 'store',
  table: 'stores',
  path: 'stores',
  resource: 'stores',
  fields: {
    description: { anyOf: [{ type: 'string', maxLength: 10_000 }, { type: 'null' }], default: null },
    schema: { type: 'object', default: {} },
    strict: { type: 'boolean', default: false },
    default_visibility: { ...STATE_VISIBILITY, default: 'private' },
    encrypted: { type: 'boolean', default: false },
  },
  namespacePattern: NAME,
  namePattern: NAME,
  nameMaxLength: 100,
  lifecycleApi: false,
};

/** The spec of a store as states read it. */
export interface StoreSpec {
  readonly description: string | null;
  readonly schema: Readonly<Record<string, unknown>>;
  readonly strict: boolean;
  readonly default_visibility: 'private' | 'shared';
  readonly encrypted: boolean;
}

/**
 * The kind's hooks: `schema` must itself be a JSON Schema; a deleted store's states go with it
 * (`dropStates` destroys their data keys, so its encrypted states are shredded too).
 */
export function storeHooks(dropStates: (storeId: string) => Promise<void>): ResourceServiceOptions {
  return { schemaFields: ['schema'], afterDelete: dropStates };
}
