/**
 * Deleting a state destroys its data key, whatever appended the delete: the delete command destroys
 * it at once, and this reactor again in the transaction of its checkpoint, so a delete whose command
 * died before destroying the key is still shredded once the event is handled (as secrets'
 * key-shredder.ts). Idempotent.
 */
import { STATE_CATEGORY } from '../../events/state-events.js';
import type { Projection } from '../../projections/projection.js';
import { destroyDataKey } from '../secrets/data-keys.js';

export function stateKeyShredderReactor(): Projection {
  return {
    name: 'reactor_state_keys',
    version: 1,
    filter: { categories: [STATE_CATEGORY], eventTypes: ['StateDeleted'] },
    tables: [],
    createTables: () => 'SELECT 1',
    async apply(tx, events) {
      for (const e of events) {
        if (e.type !== 'StateDeleted') continue;
        await destroyDataKey(tx, String((e.data as { stateId: unknown }).stateId));
      }
    },
  };
}
