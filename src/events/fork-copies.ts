/**
 * What a fork copied (issue 18): the events a fork holds as its history carry `forkOf` metadata
 * (the chat they were copied from). They are the fork's history, not new happenings: whatever
 * counts or announces what happened (usage sums, metrics, event webhooks, turn jobs) passes over
 * them. The fork's own `ChatCreated` carries the mark too, but it is new: the fork came into being.
 */
import type { EventMetadata } from './event-store.js';

/** metadata key on the events a fork copied: the chat they were copied from */
export const FORK_COPY = 'forkOf';

/** True for an event a fork copied from its original (its own creation is not a copy). */
export function isForkCopy(e: { readonly type: string; readonly metadata: EventMetadata }): boolean {
  return e.metadata[FORK_COPY] !== undefined && e.type !== 'ChatCreated';
}
