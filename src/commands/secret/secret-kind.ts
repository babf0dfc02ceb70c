/**
 * The Secret kind (reference §5.1, DESIGN §9) on the kit: `visibility` is its namespace (`shared`,
 * or `private` to its owner), a POST is an upsert, and `value` is write-only. A value is sealed under
 * the secret's own data key before it reaches a command, so events carry ciphertext only. A new
 * secret gets a fresh key, stored (wrapped) before its first event: if the append then fails the
 * orphaned key seals nothing that was stored. Later values reuse the key (fresh IV each), so one key
 * covers the whole stream, and destroying it on delete shreds every value the stream ever held.
 */
import { ValidationError } from '../../errors.js';
import { flatLayout } from '../../events/resources/event-layout.js';
import { SECRET_CATEGORY, type SealedValue } from '../../events/secret-events.js';
import { StaleIncarnationError } from '../resource/decider.js';
import { fieldColumn, standardColumns } from '../resource/read-model.js';
import type { ResourceKind } from '../resource/resource-kind.js';
import type { ResourceServiceOptions } from '../resource/resource-service.js';
import type { JSONSchema } from '../validation.js';

/** A data key: seals a value bound (GCM additional data) to its secret id. */
export interface DataKey {
  seal(plain: string, aad: string): SealedValue;
}

/** The key store port (src/runtime/secrets/data-keys.ts). */
export interface DataKeys {
  /** a fresh random key for a new secret, stored wrapped by the master key */
  create(secretId: string): Promise<DataKey>;
  /** the key of a live secret; undefined once destroyed */
  get(secretId: string): Promise<DataKey | undefined>;
  /** destroys the key for good (idempotent) */
  destroy(secretId: string): Promise<void>;
}

export const SECRET_VISIBILITY: JSONSchema = { type: 'string', enum: ['shared', 'private'] };

export const secretKind: ResourceKind = {
  type: 'Secret',
  label: 'secret',
  category: SECRET_CATEGORY,
  table: 'secrets',
  path: 'secrets',
  resource: 'secrets',
  ownership: 'visibility',
  namespaceField: { name: 'visibility', schema: { ...SECRET_VISIBILITY, default: 'shared' } },
  fields: {
    value: { type: 'string', minLength: 1, maxLength: 65_536, writeOnly: true },
    description: { anyOf: [{ type: 'string', maxLength: 2000 }, { type: 'null' }], default: null },
  },
  requiredFields: ['value'],
  writeOnlyFields: ['value'],
  namespacePattern: '^(shared|private)$',
  namePattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  nameMaxLength: 255,
  lifecycleApi: false,
  upsert: true,
  events: flatLayout({ id: 'secretId', namespace: 'visibility', name: 'name' }),
  readModel: {
    columns: [
      { name: 'stream_id', sql: 'text PRIMARY KEY', from: 'key' },
      ...standardColumns('id', 'name'),
      {
        name: 'visibility',
        sql: "text NOT NULL CHECK (visibility IN ('shared', 'private'))",
        from: 'namespace',
      },
      ...standardColumns('owner_id'),
      fieldColumn('description', 'text'),
      fieldColumn('value', 'jsonb NOT NULL'),
      ...standardColumns('version', 'created_at', 'updated_at', 'position'),
    ],
    indexes: { name: 'name' },
    order: 'name, visibility DESC, owner_id',
  },
  invariant: (spec, id) => {
    const value = spec.value as SealedValue | undefined;
    if (value !== undefined && value.kid !== id)
      throw new ValidationError('the value is not sealed under this secret’s data key', 'value');
  },
};

/** The secret kind's hooks: seal under the secret's own data key; destroy the key on delete. */
export function secretHooks(keys: DataKeys): ResourceServiceOptions {
  return {
    async seal(value, { id, creating }) {
      const key = creating ? await keys.create(id) : await keys.get(id);
      // destroyed: the secret is being deleted right now; the retry sees the delete
      if (!key) throw new StaleIncarnationError('the secret was deleted while this request ran');
      return key.seal(value, id);
    },
    afterDelete: (id) => keys.destroy(id),
  };
}
