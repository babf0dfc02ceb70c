/**
 * Sub-agents as a tool family (reference §4.1): offered per `enabled_agents`, run as deferred calls
 * (tool-family.ts DeferredCalls) — each call is a turn of a sub-chat, and the parent's turn holds no
 * worker while it waits. There is no inline path: `run()` only answers a call that reached it.
 */
import type { ToolFamily } from '../turns/tool-family.js';
import { advanceSubChat, linkSubChat, type SubChatDeps } from './sub-chats.js';
import { offerSubagents, SUBAGENT_FAMILY } from './subagent-tools.js';

export function subagentFamily(d: SubChatDeps): ToolFamily {
  return {
    family: SUBAGENT_FAMILY,
    offer: (chat) => offerSubagents(d, chat),
    run: () =>
      Promise.resolve({
        status: 'error',
        result: { error: 'a sub-agent call runs only as a deferred call' },
      }),
    // a crashed job's call is found started and advanced again: the sub-chat steps are idempotent
    rerunnable: () => true,
    deferred: {
      link: (call, chat) => linkSubChat(d, call, chat),
      advance: (call, chat, link) => advanceSubChat(d, call, chat, link),
    },
  };
}
