/**
 * Our AllFilter as an ESDB server-side filter plus the exact client-side check.
 *
 * ESDB filters on stream name OR event type, never both, and only by prefix or regex. So:
 * - categories only: stream-name prefixes `${category}-` (a category never contains '-', so a
 *   prefix names exactly one category);
 * - event types (with or without categories): event-type prefixes. Types are the narrower cut in
 *   practice (a type belongs to one aggregate), and a prefix `ChatCreated` also lets
 *   `ChatCreatedV2` through, so the client re-checks exactly;
 * - neither: the client's `excludeSystemEvents()` regex.
 * `matches` is the authority: it applies both parts exactly and drops system events.
 * Empty arrays mean "no restriction", like absent ones.
 */
import { eventTypeFilter, excludeSystemEvents, streamNameFilter, type Filter } from '@eventstore/db-client';
import type { AllFilter } from '../event-store.js';
import { categoryOf } from '../stream-names.js';
import { isSystemEvent } from './event-mapping.js';

export interface FilterPlan {
  /** what the server filters on (subscriptions only: this client's readAll takes no filter) */
  readonly server: Filter;
  /** the exact check every delivered event must pass */
  matches(streamName: string, type: string): boolean;
}

export function planFilter(filter: AllFilter | undefined): FilterPlan {
  const categories = filter?.categories?.length ? new Set(filter.categories) : undefined;
  const types = filter?.eventTypes?.length ? new Set(filter.eventTypes) : undefined;
  return {
    server: serverFilter(categories, types),
    matches: (streamName, type) =>
      !isSystemEvent(streamName, type) &&
      (categories === undefined || categories.has(categoryOf(streamName))) &&
      (types === undefined || types.has(type)),
  };
}

function serverFilter(categories: Set<string> | undefined, types: Set<string> | undefined): Filter {
  if (types) return eventTypeFilter({ prefixes: [...types] });
  if (categories) return streamNameFilter({ prefixes: [...categories].map((c) => `${c}-`) });
  return excludeSystemEvents();
}
