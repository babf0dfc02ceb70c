/**
 * Upcasters turn an old stored event shape into the current one as it is read; stored events are
 * never rewritten. Register one per (type, from-version); they chain until none applies.
 */
import type { RecordedEvent } from './event-store.js';
import { versionUpcasts } from './version-upcasts.js';

type Upcaster = (data: Readonly<Record<string, unknown>>) => Record<string, unknown>;
const registry = new Map<string, Upcaster>();

export function registerUpcaster(type: string, fromVersion: number, up: Upcaster): void {
  registry.set(`${type}@${fromVersion}`, up);
}

for (const [type, from, up] of versionUpcasts) registerUpcaster(type, from, up);

export function upcast(event: RecordedEvent): RecordedEvent {
  let current = event;
  for (;;) {
    const version = current.metadata.version ?? 1;
    const up = registry.get(`${current.type}@${version}`);
    if (!up) return current;
    // named, not only spread: an adapter's event class may keep them as accessors on its prototype
    current = {
      ...current,
      data: up(current.data),
      metadata: { ...current.metadata, version: version + 1 },
      createdAt: current.createdAt,
    };
  }
}
