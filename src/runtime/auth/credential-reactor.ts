/**
 * Deactivating or deleting a user kills the credentials they held then, whatever path appended the
 * event (the users API, a declarative config): this reactor revokes them in the same transaction as
 * its checkpoint, so a crash never skips one. The users API also revokes at once itself, so the
 * process that handled the change does not wait for a worker; both are idempotent.
 */
import type { UserEvent } from '../../events/identity-events.js';
import type { Projection } from '../../projections/projection.js';
import type { Revocations } from './revocations.js';

export function credentialReactor(revocations: Pick<Revocations, 'revokeUser'>): Projection {
  return {
    name: 'reactor_credentials',
    version: 1,
    filter: { categories: ['user'], eventTypes: ['UserDeactivated', 'UserDeleted'] },
    tables: [],
    createTables: () => 'SELECT 1',
    async apply(tx, events) {
      for (const e of events) {
        const ev = { type: e.type, data: e.data } as UserEvent;
        if (ev.type !== 'UserDeactivated' && ev.type !== 'UserDeleted') continue;
        const userId = e.streamName.slice('user-'.length);
        const reason = ev.type === 'UserDeleted' ? 'user_deleted' : 'user_deactivated';
        await revocations.revokeUser(userId, new Date(ev.data.at), { by: ev.data.by, reason }, tx);
      }
    },
  };
}
