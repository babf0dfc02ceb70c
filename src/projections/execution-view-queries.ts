/**
 * One execution as the API shows it, folded from its event stream (execution-view.ts): now, or as
 * of a revision of its stream. The executions routes read it here, never the stream itself.
 */
import type { EventStore } from '../events/event-store.js';
import { streams } from '../events/stream-names.js';
import { foldExecutionView, type ExecutionView } from './execution-view.js';

export type { ExecutionView };

export class ExecutionViewQueries {
  constructor(private readonly store: EventStore) {}

  /** undefined when there is no such execution (or none yet at `asOf`) */
  async get(executionId: string, asOf?: number): Promise<ExecutionView | undefined> {
    const events = await this.store.readStream(streams.execution(executionId), {
      ...(asOf !== undefined ? { fromRevision: 0n, maxCount: asOf + 1 } : {}),
    });
    return foldExecutionView(events);
  }
}
