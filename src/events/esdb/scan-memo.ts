/**
 * This client cannot filter `$all` reads on the server, so a filtered readAll scans every event.
 * A caught-up reader (a projection runner asking again and again for events after its checkpoint)
 * would rescan the same non-matching tail each time. This memo remembers, per filter, one range
 * (from, to] of `$all` known to hold no matching event, and lets the next scan start after it.
 * Sound because `$all` only grows at its end and deletes only ever hide events.
 */
import type { AllFilter } from '../event-store.js';

/** Stands for "before the first event" (`after` undefined). */
export const BEFORE_START = -1n;

export function filterKey(filter: AllFilter | undefined): string {
  const sorted = (xs: readonly string[] | undefined) => [...(xs ?? [])].sort();
  return JSON.stringify([sorted(filter?.categories), sorted(filter?.eventTypes)]);
}

export class EmptyRanges {
  private readonly ranges = new Map<string, { readonly from: bigint; readonly to: bigint }>();

  constructor(private readonly maxFilters = 1_000) {}

  /**
   * Where to start scanning for matches after `after` (past a known-empty range that covers it),
   * and since when nothing has matched, so a scan that finds nothing extends the same range.
   */
  startAfter(key: string, after: bigint): { readonly start: bigint; readonly emptySince: bigint } {
    const r = this.ranges.get(key);
    return r && r.from <= after && after < r.to
      ? { start: r.to, emptySince: r.from }
      : { start: after, emptySince: after };
  }

  /** No event after `from` up to and including `to` matches the filter. */
  remember(key: string, from: bigint, to: bigint): void {
    if (to <= from) return;
    if (!this.ranges.has(key) && this.ranges.size >= this.maxFilters) {
      this.ranges.delete(this.ranges.keys().next().value as string);
    }
    this.ranges.set(key, { from, to });
  }
}
