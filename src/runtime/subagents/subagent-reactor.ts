/**
 * The durable half of a sub-agent call's wait (reference §8 item 2): when a sub-chat's turn ends
 * (a reply, a failure or a cancel), the parent turn that posted it gets a job (`sub-<turnId>`, so
 * a re-delivered event adds none), which records the result and goes on; when a turn is cancelled,
 * the sub-chats its still-running calls started are cancelled too (their own cancel reaches theirs).
 * The events carry what this needs (a sub-turn's end is followed by `SubTurnEnded` naming its
 * caller; a cancel names its running calls' `subChats`: chat-state.ts), so it reads no stream, and
 * a turn outside a tree (an ordinary message) does not wake it at all.
 * A checkpointed projection: a crash replays what it had not finished; both steps are idempotent.
 */
import { chatDecider } from '../../commands/chat/chat-decider.js';
import type { CommandHandler } from '../../commands/command-handler.js';
import { IllegalStateError } from '../../errors.js';
import type { SubAgentCaller, SubChatCall } from '../../events/chat-events.js';
import { asTurnId, asUserId } from '../../events/ids.js';
import { streams } from '../../events/stream-names.js';
import type { Projection } from '../../projections/projection.js';
import type { JobQueue } from '../queue/job-queue.js';
import { enqueueTurn, subTurnWake } from '../turns/turn-jobs.js';
import { subTurnId } from './sub-chats.js';

export interface SubagentReactorDeps {
  readonly handler: CommandHandler;
  readonly queue: JobQueue;
}

export function subagentReactor(d: SubagentReactorDeps): Projection {
  return {
    name: 'reactor_subagents',
    version: 1,
    filter: {
      categories: ['chat'],
      eventTypes: ['SubTurnEnded', 'TurnCancelled'],
    },
    tables: [],
    createTables: () => 'SELECT 1',
    async apply(_tx, batch) {
      for (const e of batch) {
        const chatId = e.streamName.slice('chat-'.length);
        if (e.type === 'SubTurnEnded') {
          const { turnId, caller } = e.data as { turnId: string; caller: SubAgentCaller };
          await enqueueTurn(d.queue, { chatId: caller.chatId, turnId: caller.turnId }, subTurnWake(turnId));
        } else {
          const { subChats = [] } = e.data as { subChats?: readonly SubChatCall[] };
          for (const s of subChats) await cancelSubTurn(d, s.subChatId, subTurnId(chatId, s.toolCallId));
        }
      }
    },
  };
}

/** Cancels a sub-turn unless it has ended (or was never posted: then its call starts nothing now). */
async function cancelSubTurn(d: SubagentReactorDeps, subChatId: string, turnId: string): Promise<void> {
  await d.handler
    .handle(
      chatDecider,
      streams.chat(subChatId),
      { type: 'CancelTurn', turnId: asTurnId(turnId), by: asUserId('system'), at: new Date().toISOString() },
      { commandId: `subagent-cancel-${turnId}`, actor: 'system' },
    )
    .catch((err: unknown) => {
      if (!(err instanceof IllegalStateError)) throw err; // the sub-turn had ended already
    });
}
