/**
 * Noticing that the event store went away while a request waits on it. A stream subscription waits
 * through an outage (an SSE stream stays open and goes on afterwards), but a request waiting for a
 * turn's reply would then hang for as long as the outage lasts, its turn unable to move. So a wait
 * also watches this: one cheap probe of the store per interval, shared by every wait of the process
 * and made only while something waits, that fails the wait with the outage when a probe meets one.
 * The request answers 503 naming its Idempotency-Key, whose retry returns the reply (never a second
 * message).
 */
import {
  catchError,
  EMPTY,
  exhaustMap,
  from,
  ignoreElements,
  interval,
  share,
  throwError,
  type Observable,
} from 'rxjs';
import { asDependencyUnavailable } from '../../dependency-errors.js';
import type { EventStore } from '../../events/event-store.js';

/** An observable that never emits and errors with the outage a probe of `store` met. */
export function storeOutages(store: Pick<EventStore, 'headPosition'>, everyMs: number): Observable<never> {
  return interval(everyMs).pipe(
    exhaustMap(() =>
      from(store.headPosition()).pipe(
        ignoreElements(),
        catchError((err: unknown) => {
          const outage = asDependencyUnavailable(err, 'event store');
          // anything else is not this watch's to judge: the wait itself goes on
          return outage ? throwError(() => outage) : EMPTY;
        }),
      ),
    ),
    share(),
  );
}
