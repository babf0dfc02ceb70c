/** The worker's database-trigger poller, built on the process's services when the kind is registered. */
import type { Logger } from 'pino';
import { databaseTriggerKind } from '../../commands/database-trigger/database-trigger-kind.js';
import { DEFAULT_RETENTION, type StreamRetention } from '../retention/stream-trim.js';
import type { Services } from '../services.js';
import { TriggerPoller } from './trigger-poller.js';
import { TriggerStep } from './trigger-step.js';

/** how long one step waits for a batch's execution to end before looking again */
const SETTLE_WAIT_MS = 5000;

export function triggerPollerOn(
  s: Services,
  log: Logger,
  retention: StreamRetention = DEFAULT_RETENTION,
): TriggerPoller | undefined {
  if (!s.kindRegistrations.some((r) => r.kind === databaseTriggerKind)) return undefined;
  const step = new TriggerStep({
    handler: s.commandHandler,
    store: s.eventStore,
    dataSources: s.dataSources,
    executions: s.executions,
    now: () => new Date(),
    settleWaitMs: SETTLE_WAIT_MS,
    retention,
  });
  return new TriggerPoller(s.pool, step, log);
}
