/** Every projection the workers run. */
import { agentKind } from '../commands/agent/agent-kind.js';
import { llmProviderKind } from '../commands/llm-provider/llm-provider-kind.js';
import { functionKind } from '../commands/function/function-kind.js';
import { chatsProjection } from './chats.js';
import { executionsProjection } from './executions.js';
import { identityProjection } from './identity.js';
import type { Projection } from './projection.js';
import { resourceProjection } from './resources.js';
import { secretsProjection } from './secrets.js';
import { eventSubscriptionsProjection } from './event-subscriptions.js';

export const allProjections = (): Projection[] => [
  resourceProjection(agentKind),
  resourceProjection(llmProviderKind),
  resourceProjection(functionKind),
  chatsProjection,
  executionsProjection,
  identityProjection,
  secretsProjection,
  eventSubscriptionsProjection,
];
