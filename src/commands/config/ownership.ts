/**
 * Who manages a resource (reference §6.5 `managed_by`), read from its history: every event a config
 * apply writes carries `managedBy: 'config'` in its metadata, so a resource is managed by config
 * exactly when the last event that defined it came from an apply. A change through the management
 * API after that detaches it; an apply then refuses to overwrite it unless forced.
 */
import type { RecordedEvent } from '../../events/event-store.js';
import { MANAGED_BY } from '../../events/config-events.js';

export function managedByOf(
  events: readonly RecordedEvent[],
  defines: (e: RecordedEvent) => boolean = () => true,
): string | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i]!;
    if (!defines(e)) continue;
    const m = e.metadata[MANAGED_BY];
    return typeof m === 'string' ? m : undefined;
  }
  return undefined;
}
