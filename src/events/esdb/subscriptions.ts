/**
 * Catch-up subscriptions as rxjs Observables: the server replays from the start position, then
 * follows live, in `$all` (or stream) order. Both start positions are exclusive on the server; the
 * bound is checked here too, so an event at the given position is never delivered again.
 * `$all` subscriptions also hide deleted events (truncation.ts); that check keeps the order
 * (concatMap). Unsubscribing cancels the gRPC call.
 */
import { START, type EventStoreDBClient } from '@eventstore/db-client';
import { Observable, concatMap, defer, filter } from 'rxjs';
import { DependencyUnavailableError } from '../../errors.js';
import { settled } from '../../expected-errors.js';
import type { RecordedEvent, SubscribeAllOptions, SubscribeStreamOptions } from '../event-store.js';
import { planFilter } from './all-filter.js';
import { mapSubscriptionError } from './error-mapping.js';
import { isSystemResolved, toRecordedEvent, type ClientResolvedEvent } from './event-mapping.js';
import { readFrom } from './positions.js';
import { VisibleEvents } from './truncation.js';

/** The part of the client's subscription objects we use. */
interface ClientSubscription {
  on(event: 'data', listener: (resolved: ClientResolvedEvent) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'end', listener: () => void): unknown;
  unsubscribe(): Promise<void>;
}

export function subscribeAll(
  client: EventStoreDBClient,
  truncation: (stream: string) => Promise<bigint>,
  options: SubscribeAllOptions = {},
): Observable<RecordedEvent> {
  const plan = planFilter(options.filter);
  const after = options.after;
  return defer(() => {
    const visible = new VisibleEvents(truncation);
    return observe(
      () => client.subscribeToAll({ fromPosition: readFrom(after), filter: plan.server }),
      (e) => plan.matches(e.streamName, e.type) && (after === undefined || e.position > after),
    ).pipe(
      concatMap(async (e) => ((await visible.isVisible(e)) ? e : undefined)),
      filter((e): e is RecordedEvent => e !== undefined),
    );
  });
}

/** Stream subscriptions read through the stream index, which already hides deleted events. */
export function subscribeStream(
  client: EventStoreDBClient,
  stream: string,
  options: SubscribeStreamOptions = {},
): Observable<RecordedEvent> {
  const after = options.afterRevision;
  return observe(
    () => client.subscribeToStream(stream, { fromRevision: after ?? START }),
    (e) => after === undefined || e.revision > after,
    stream,
  );
}

function observe(
  open: () => ClientSubscription,
  wanted: (event: RecordedEvent) => boolean,
  stream?: string,
): Observable<RecordedEvent> {
  return new Observable<RecordedEvent>((subscriber) => {
    const subscription = open();
    subscription.on('data', (resolved) => {
      if (isSystemResolved(resolved)) return;
      try {
        const event = toRecordedEvent(resolved);
        if (wanted(event)) subscriber.next(event);
      } catch (err) {
        subscriber.error(err);
      }
    });
    subscription.on('error', (err) => subscriber.error(mapSubscriptionError(err, stream)));
    // A live subscription only ends when cancelled; an end we did not ask for is a dropped connection.
    subscription.on('end', () =>
      subscriber.error(
        new DependencyUnavailableError('event store', new Error('EventStoreDB ended the subscription')),
      ),
    );
    return () => {
      // Teardown has no one left to report to; a failed cancel only leaves a call the server will drop.
      void settled(subscription.unsubscribe());
    };
  });
}
