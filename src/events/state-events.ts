/**
 * What happens to a state (reference §5.7): every write is a `StateSaved` carrying the whole state
 * as written (so `?version=N` reads any earlier value from its event), and a delete ends it. One
 * stream per (store, user, key): every user has their own key space in a store, and two writes to
 * one key are ordered by the stream, last writer wins, nothing lost. An encrypted state's events
 * carry its value sealed under the state's own data key, never the plaintext.
 */
import { createHash } from 'node:crypto';
import type { SealedValue } from './secret-events.js';
import { streamName } from './stream-names.js';

export const STATE_CATEGORY = 'state';
export type StateVisibility = 'private' | 'shared';

/** A state as one write left it. */
export interface StateFields {
  /** this incarnation's id (a key deleted and saved again gets a new one, and a new data key) */
  readonly stateId: string;
  readonly storeId: string;
  readonly storeNamespace: string;
  readonly storeName: string;
  readonly userId: string;
  readonly key: string;
  /** the plain value; null when `sealed` holds it */
  readonly value: unknown;
  readonly sealed: SealedValue | null;
  readonly visibility: StateVisibility;
  readonly description: string | null;
  readonly tags: readonly string[];
  readonly relevanceScore: number;
  /** ISO time after which the state is not returned; null: never */
  readonly expiresAt: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type StateEvent =
  | { readonly type: 'StateSaved'; readonly data: StateFields }
  | {
      readonly type: 'StateDeleted';
      readonly data: {
        readonly stateId: string;
        readonly storeId: string;
        readonly userId: string;
        readonly key: string;
      };
    };

/**
 * A deleted store's states are gone: recorded once their data keys are destroyed (so the keys are
 * found from the rows first), on the store's own drop stream; the `states` read model drops the
 * store's rows on it. Not a StateEvent: no state's stream holds it.
 */
export interface StoreStatesDropped {
  readonly type: 'StoreStatesDropped';
  readonly data: { readonly storeId: string; readonly at: string };
}

export const storeDropStream = (storeId: string) => streamName(STATE_CATEGORY, `${storeId}/dropped`);

/** The key is hashed into the stream name: any key (≤255 characters of anything) makes a valid one. */
export function stateStream(storeId: string, userId: string, key: string): string {
  const digest = createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 40);
  return streamName(STATE_CATEGORY, `${storeId}/${userId}/${digest}`);
}
