/** Whether an agent exists now, from its stream (no read-model lag): a schedule's save asks it. */
import type { AgentExists } from '../../commands/schedule/schedule-kind.js';
import type { EventStore } from '../../events/event-store.js';
import { streams } from '../../events/stream-names.js';

export const agentExistsIn =
  (store: EventStore): AgentExists =>
  async (namespace, name) => {
    const [last] = await store.readStream(streams.agent(namespace, name), {
      direction: 'backwards',
      maxCount: 1,
    });
    return last !== undefined && last.type !== 'AgentDeleted';
  };
