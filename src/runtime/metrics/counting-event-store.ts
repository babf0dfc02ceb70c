/**
 * The event store as this process appends to it, with every successful append shown to the
 * metrics once it has resolved: one place sees every turn, tool call and execution outcome, and
 * the append itself waits for nothing of the metrics.
 */
import type { EventStore } from '../../events/event-store.js';
import type { Metrics } from './metrics.js';

export function countingEventStore(store: EventStore, metrics: Metrics): EventStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'append')
        return async (...args: Parameters<EventStore['append']>) => {
          const result = await target.append(...args);
          metrics.appended(args[1]);
          return result;
        };
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
