/**
 * How states are built on the platform's parts: the one place the runtime routes, the state tools
 * and a deleted store's key shredding construct them, so they all read and write states the same way.
 */
import type pg from 'pg';
import type { CommandHandler } from '../../commands/command-handler.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { EventStore } from '../../events/event-store.js';
import { StateQueries } from '../../projections/state-queries.js';
import type { ProjectionWaiter } from '../../projections/waiter.js';
import type { Keyring } from '../cipher.js';
import { StateKeys } from './state-keys.js';
import { StateService } from './state-service.js';

export interface StateParts {
  readonly pool: pg.Pool;
  readonly store: EventStore;
  readonly handler: CommandHandler;
  /** the Store kind's service (`services.kinds.stores`) */
  readonly stores: ResourceService;
  readonly cipher: Keyring;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
}

export function statesOn(p: StateParts): StateService {
  return new StateService({
    store: p.store,
    handler: p.handler,
    stores: p.stores,
    queries: new StateQueries(p.pool),
    keys: new StateKeys(p.pool, p.cipher),
    waiter: p.waiter,
    consistencyTimeoutMs: p.consistencyTimeoutMs,
  });
}

/** Destroys the data keys of a deleted store's states (its encrypted states are shredded). */
export function dropStoreKeys(pool: pg.Pool, cipher: Keyring) {
  const queries = new StateQueries(pool);
  const keys = new StateKeys(pool, cipher);
  return async (storeId: string): Promise<void> => {
    for (const id of await queries.idsOfStore(storeId)) await keys.destroy(id);
  };
}
