/**
 * The head doorbell: the current head, then the position of every new non-system event, from a
 * live (`END`) `$all` subscription. The head is read again once the server confirms the
 * subscription, so an event appended while it was being set up is covered by that read.
 * Positions only go up. The caller shares one of these among all watchers.
 */
import { END, excludeSystemEvents, type EventStoreDBClient } from '@eventstore/db-client';
import { Observable } from 'rxjs';
import { DependencyUnavailableError } from '../../errors.js';
import { settled } from '../../expected-errors.js';
import { mapSubscriptionError } from './error-mapping.js';
import { isSystemResolved, type ClientResolvedEvent } from './event-mapping.js';
import { positionOf } from './positions.js';

export function watchHead(client: EventStoreDBClient, readHead: () => Promise<bigint>): Observable<bigint> {
  return new Observable<bigint>((subscriber) => {
    let head = -1n;
    const bump = (position: bigint) => {
      if (position <= head) return;
      head = position;
      subscriber.next(position);
    };
    const live = client.subscribeToAll({ fromPosition: END, filter: excludeSystemEvents() });
    live.on('data', (resolved: ClientResolvedEvent) => {
      if (!isSystemResolved(resolved)) bump(positionOf(resolved));
    });
    live.on('error', (err) => subscriber.error(mapSubscriptionError(err)));
    live.on('end', () =>
      subscriber.error(
        new DependencyUnavailableError('event store', new Error('EventStoreDB ended the head subscription')),
      ),
    );
    const readAndBump = () => void readHead().then(bump, (err: unknown) => subscriber.error(err));
    live.on('confirmation', readAndBump);
    readAndBump();
    return () => {
      // Teardown has no one left to report to; a failed cancel only leaves a call the server will drop.
      void settled(live.unsubscribe());
    };
  });
}
