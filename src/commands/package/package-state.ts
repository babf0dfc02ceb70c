/**
 * An installed package as its stream has it (the write side's view, not the read model): the
 * metadata and resources of the last install, or none after an uninstall.
 */
import type { RecordedEvent } from '../../events/event-store.js';
import type { PackageEvent, PackageMetadata, PackageResource } from '../../events/package-events.js';

export type PackageState =
  | { readonly status: 'absent' }
  | {
      readonly status: 'installed';
      readonly meta: PackageMetadata;
      readonly resources: readonly PackageResource[];
    };

export function packageState(events: readonly RecordedEvent[]): PackageState {
  let state: PackageState = { status: 'absent' };
  for (const e of events) {
    const ev = { type: e.type, data: e.data } as PackageEvent;
    switch (ev.type) {
      case 'PackageInstalled': {
        const { resources, removed: _r, by: _b, at: _a, ...meta } = ev.data;
        state = { status: 'installed', meta, resources };
        break;
      }
      case 'PackageUninstalled':
        state = { status: 'absent' };
        break;
      default: {
        const unreachable: never = ev;
        return unreachable;
      }
    }
  }
  return state;
}
