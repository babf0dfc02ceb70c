/**
 * How states are built on the platform's parts: the one place the runtime routes, the state tools
 * and a deleted store's key shredding construct them, so they all read and write states the same way.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { CommandHandler } from '../../commands/command-handler.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { EventStore } from '../../events/event-store.js';
import { storeDropStream, type StoreStatesDropped } from '../../events/state-events.js';
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

/**
 * A deleted store's states go: their data keys are destroyed (its encrypted states are shredded),
 * then `StoreStatesDropped` is recorded, on which the `states` read model drops the store's rows
 * (in this order, so the keys are found from the rows). A state saved into the store in between
 * loses its row but keeps a key, which then seals nothing reachable.
 */
export function dropStoreStates(p: {
  readonly pool: pg.Pool;
  readonly cipher: Keyring;
  readonly eventStore: EventStore;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
}) {
  const queries = new StateQueries(p.pool);
  const keys = new StateKeys(p.pool, p.cipher);
  return async (storeId: string): Promise<void> => {
    for (const id of await queries.idsOfStore(storeId)) await keys.destroy(id);
    const id = randomUUID();
    const event: StoreStatesDropped = {
      type: 'StoreStatesDropped',
      data: { storeId, at: new Date().toISOString() },
    };
    const r = await p.eventStore.append(
      storeDropStream(storeId),
      [{ id, ...event, metadata: { correlationId: id, causationId: id, actor: 'system', version: 1 } }],
      'any',
    );
    await p.waiter.waitFor(['states'], r.position, p.consistencyTimeoutMs);
  };
}
