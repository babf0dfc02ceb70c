/**
 * Deleting a secret destroys its data key, whatever appended the delete: the delete command destroys
 * it at once, and this reactor destroys it again in the same transaction as its checkpoint, so a
 * delete whose command died before destroying the key is still shredded once the event is handled.
 * (The secrets read model itself has no side effects.) Idempotent.
 */
import { SECRET_CATEGORY } from '../../events/secret-events.js';
import type { Projection } from '../../projections/projection.js';
import { destroyDataKey } from './data-keys.js';

export function keyShredderReactor(): Projection {
  return {
    name: 'reactor_secret_keys',
    version: 1,
    filter: { categories: [SECRET_CATEGORY], eventTypes: ['SecretDeleted'] },
    tables: [],
    createTables: () => 'SELECT 1',
    async apply(tx, events) {
      for (const e of events) {
        if (e.type !== 'SecretDeleted') continue;
        await destroyDataKey(tx, String((e.data as { secretId: unknown }).secretId));
      }
    },
  };
}
