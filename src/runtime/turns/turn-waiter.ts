/**
 * Waiting for a turn someone just posted: follows the chat's stream from the turn's message until
 * the turn ends, or (when asked) until it waits only for approvals, within a time limit. Whoever
 * answers a request with the turn's reply (the chat routes, the OpenAI adapter) asks this.
 */
import { filter, firstValueFrom, map, timeout, TimeoutError } from 'rxjs';
import { TurnWatch, type TurnStop } from '../../commands/chat/turn-watch.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { streams } from '../../events/stream-names.js';

export type TurnOutcome =
  TurnStop<RecordedEvent> | { readonly kind: 'timed_out'; readonly timeoutMs: number };

export interface TurnToWait {
  readonly chatId: string;
  readonly turnId: string;
  /** the revision of the turn's message: the wait reads what follows it */
  readonly revision: bigint;
}

export class TurnWaiter {
  constructor(
    private readonly store: EventStore,
    private readonly timeoutMs: number,
  ) {}

  /** The turn's end, or (with `atApproval`) the point where it waits only for approvals. */
  async stop(t: TurnToWait, atApproval = true): Promise<TurnOutcome> {
    const watch = new TurnWatch(t.turnId);
    try {
      return await firstValueFrom(
        this.store.subscribeToStream(streams.chat(t.chatId), { afterRevision: t.revision }).pipe(
          map((e) => watch.see(e)),
          filter((s): s is TurnStop<RecordedEvent> => s !== undefined && (atApproval || s.kind === 'ended')),
          timeout(this.timeoutMs),
        ),
      );
    } catch (err) {
      // only the time limit is an outcome; a store that fails says so to the caller
      if (err instanceof TimeoutError) return { kind: 'timed_out', timeoutMs: this.timeoutMs };
      throw err;
    }
  }
}
