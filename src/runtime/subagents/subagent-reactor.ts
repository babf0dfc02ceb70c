/**
 * The durable half of a sub-agent call's wait (reference §8 item 2): when a sub-chat's turn ends
 * (a reply, a failure or a cancel), the parent turn that posted it gets a job (`sub-<turnId>`, so
 * a re-delivered event adds none), which records the result and goes on; when a turn is cancelled,
 * the sub-chats its still-open calls started are cancelled too (their own cancel reaches theirs).
 * A checkpointed projection: a crash replays what it had not finished; both steps are idempotent.
 */
import { chatDecider } from '../../commands/chat/chat-decider.js';
import type { CommandHandler } from '../../commands/command-handler.js';
import { IllegalStateError } from '../../errors.js';
import { endsTurn, type SubAgentCaller } from '../../events/chat-events.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { asTurnId, asUserId } from '../../events/ids.js';
import type { StreamCache } from '../../events/stream-cache.js';
import { streams } from '../../events/stream-names.js';
import type { Projection } from '../../projections/projection.js';
import type { JobQueue } from '../queue/job-queue.js';
import { enqueueTurn } from '../turns/turn-jobs.js';

export interface SubagentReactorDeps {
  readonly store: EventStore;
  readonly streams: StreamCache;
  readonly handler: CommandHandler;
  readonly queue: JobQueue;
}

export function subagentReactor(d: SubagentReactorDeps): Projection {
  return {
    name: 'reactor_subagents',
    version: 1,
    filter: {
      categories: ['chat'],
      eventTypes: ['AssistantMessageCompleted', 'TurnFailed', 'TurnCancelled'],
    },
    tables: [],
    createTables: () => 'SELECT 1',
    async apply(_tx, batch) {
      for (const e of batch) {
        if (!endsTurn(e.type, e.data)) continue;
        const turnId = (e.data as { turnId: string }).turnId;
        const events = await upTo(d, e);
        const caller = callerOf(events, turnId);
        if (caller)
          await enqueueTurn(d.queue, { chatId: caller.chatId, turnId: caller.turnId }, `sub-${turnId}`);
        if (e.type === 'TurnCancelled')
          await cancelSubTurns(d, e.streamName.slice('chat-'.length), events, turnId);
      }
    },
  };
}

/** The chat's events up to `e` at least (from memory when this process has them). */
async function upTo(d: SubagentReactorDeps, e: RecordedEvent): Promise<readonly RecordedEvent[]> {
  const cached = await d.streams.read(e.streamName);
  if ((cached.at(-1)?.revision ?? -1n) >= e.revision) return cached;
  return d.store.readStream(e.streamName);
}

function callerOf(events: readonly RecordedEvent[], turnId: string): SubAgentCaller | undefined {
  const posted = events.find(
    (x) => x.type === 'UserMessagePosted' && (x.data as { turnId?: string }).turnId === turnId,
  );
  return (posted?.data as { caller?: SubAgentCaller } | undefined)?.caller;
}

/** Cancels the sub-turn of each call of `turnId` that started a sub-chat and has no result. */
async function cancelSubTurns(
  d: SubagentReactorDeps,
  chatId: string,
  events: readonly RecordedEvent[],
  turnId: string,
): Promise<void> {
  const done = new Set<string>();
  const started: { toolCallId: string; subChatId: string }[] = [];
  for (const x of events) {
    const data = x.data as { turnId?: string; toolCallId?: string; subChatId?: string };
    if (data.turnId !== turnId || !data.toolCallId) continue;
    if (x.type === 'ToolCallCompleted') done.add(data.toolCallId);
    if (x.type === 'ToolCallStarted' && data.subChatId)
      started.push({ toolCallId: data.toolCallId, subChatId: data.subChatId });
  }
  for (const s of started.filter((c) => !done.has(c.toolCallId))) {
    const sub = await d.store.readStream(streams.chat(s.subChatId));
    const posted = sub.find((x) => {
      const c = (x.data as { caller?: SubAgentCaller }).caller;
      return x.type === 'UserMessagePosted' && c?.chatId === chatId && c.toolCallId === s.toolCallId;
    });
    if (!posted) continue; // never posted: the call can start nothing now (its turn has ended)
    const subTurn = (posted.data as { turnId: string }).turnId;
    await d.handler
      .handle(
        chatDecider,
        streams.chat(s.subChatId),
        {
          type: 'CancelTurn',
          turnId: asTurnId(subTurn),
          by: asUserId('system'),
          at: new Date().toISOString(),
        },
        { commandId: `subagent-cancel-${subTurn}`, actor: 'system' },
      )
      .catch((err: unknown) => {
        if (!(err instanceof IllegalStateError)) throw err; // the sub-turn had ended already
      });
  }
}
