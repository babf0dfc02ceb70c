/**
 * Waiting for a turn someone just posted: follows the chat's stream from the turn's message until
 * the turn ends, or (when asked) until it waits only for approvals, within a time limit. Whoever
 * answers a request with the turn's reply (the chat routes, the OpenAI adapter) asks this.
 */
import { filter, firstValueFrom, map, merge, timeout, TimeoutError, type Observable } from 'rxjs';
import { TurnWatch, type TurnStop } from '../../commands/chat/turn-watch.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { streams } from '../../events/stream-names.js';
import { storeOutages } from './store-outages.js';

/** how often a waiting process checks that the store is still there (see store-outages.ts) */
const PROBE_MS = 1000;

export type TurnOutcome =
  TurnStop<RecordedEvent> | { readonly kind: 'timed_out'; readonly timeoutMs: number };

export interface TurnToWait {
  readonly chatId: string;
  readonly turnId: string;
  /** the revision of the turn's message: the wait reads what follows it */
  readonly revision: bigint;
}

export class TurnWaiter {
  private readonly outages: Observable<never>;

  constructor(
    private readonly store: EventStore,
    private readonly timeoutMs: number,
    probeMs = PROBE_MS,
  ) {
    this.outages = storeOutages(store, probeMs);
  }

  /** The turn's end, or (with `atApproval`) the point where it waits only for approvals. */
  async stop(t: TurnToWait, atApproval = true): Promise<TurnOutcome> {
    const watch = new TurnWatch(t.turnId);
    try {
      return await firstValueFrom(
        merge(
          this.store.subscribeToStream(streams.chat(t.chatId), { afterRevision: t.revision }).pipe(
            map((e) => watch.see(e)),
            filter(
              (s): s is TurnStop<RecordedEvent> => s !== undefined && (atApproval || s.kind === 'ended'),
            ),
          ),
          this.outages, // a store gone away fails the wait (a 503 with the retry key), never hangs it
        ).pipe(timeout(this.timeoutMs)),
      );
    } catch (err) {
      // only the time limit is an outcome; a store that fails or goes away says so to the caller
      if (err instanceof TimeoutError) return { kind: 'timed_out', timeoutMs: this.timeoutMs };
      throw err;
    }
  }
}
