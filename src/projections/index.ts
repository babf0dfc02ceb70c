/** Every projection the workers run. */
import type pg from 'pg';
import { agentKind } from '../commands/agent/agent-kind.js';
import { llmProviderKind } from '../commands/llm-provider/llm-provider-kind.js';
import { functionKind } from '../commands/function/function-kind.js';
import { secretKind } from '../commands/secret/secret-kind.js';
import { eventSubscriptionKind } from '../commands/event-subscription/event-subscription-kind.js';
import { chatsProjection } from './chats.js';
import { executionsProjection } from './executions.js';
import { identityProjection } from './identity.js';
import type { Projection } from './projection.js';
import { resourceProjection } from './resources.js';
import { createLiveTables } from './runner.js';
import { inTransaction } from './transaction.js';

export const allProjections = (): Projection[] => [
  resourceProjection(agentKind),
  resourceProjection(llmProviderKind),
  resourceProjection(functionKind),
  chatsProjection,
  executionsProjection,
  identityProjection,
  resourceProjection(secretKind),
  resourceProjection(eventSubscriptionKind),
];

/**
 * The read models' live tables, created (idempotently, under each projection's lock) before an API
 * process serves them: an API process may start on a fresh database before any worker has, and its
 * reads then find empty tables instead of failing.
 */
export async function ensureReadModels(pool: pg.Pool): Promise<void> {
  for (const p of allProjections()) await inTransaction(pool, (tx) => createLiveTables(tx, p));
}
