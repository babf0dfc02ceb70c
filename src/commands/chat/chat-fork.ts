/**
 * Forking a chat (issue 18 item 2): the caller's new chat gets a copy of the original's history up
 * to a turn boundary (fork-history.ts), and a `ChatForked` link goes to the original's fork list
 * (`chatforks-<id>`), never to the original's own stream, which stays byte for byte as it was. The
 * fork's id is derived from the command id, so a retried request (same Idempotency-Key) returns the
 * first fork instead of making a second. The blobs the copied messages' parts own are copied too
 * (MessageParts.copy): the fork owns its bytes, so purging an ephemeral original leaves them.
 */
import { NotFoundError } from '../../errors.js';
import type { ChatCreatedData, ChatEvent, ForkOrigin } from '../../events/chat-events.js';
import type { EventStore } from '../../events/event-store.js';
import { asChatId, stableUuid, type ChatId } from '../../events/ids.js';
import { streams } from '../../events/stream-names.js';
import { upcast } from '../../events/upcasters.js';
import { FORK_COPY } from '../../events/fork-copies.js';
import type { StoredPart } from '../../events/message-parts.js';
import type { CommandContext, CommandHandler, CommandResult } from '../command-handler.js';
import { validate } from '../validation.js';
import { chatDecider, type ChatState } from './chat-decider.js';
import type { MessageParts } from './chat-service.js';
import { forkChatBody } from './chat-schemas.js';
import { planFork } from './fork-history.js';

export { FORK_COPY } from '../../events/fork-copies.js';

export interface Forked {
  readonly chatId: ChatId;
  readonly origin: ForkOrigin;
  /** `$all` position of the fork's last event (for read-your-writes) */
  readonly position: bigint | undefined;
}

/** The data of `ChatForked` (stream `chatforks-<original id>`). */
export interface ChatForkedData {
  readonly chatId: string;
  readonly forkId: string;
  readonly revision: number;
  readonly requested: number;
  /** who forked it (the fork's owner) */
  readonly userId: string;
  /** the original's owner */
  readonly ownerId: string;
  readonly at: string;
}

export interface ForkDeps {
  readonly handler: CommandHandler;
  readonly store: EventStore;
  readonly now: () => Date;
  /** copies the blobs of the history's parts; without it the parts keep the original's keys */
  readonly parts?: Pick<MessageParts, 'copy' | 'discard'>;
}

/** Forks `chatId` (the caller's own; anyone else's is a 404) at `body.at`. */
export async function forkChat(
  d: ForkDeps,
  chatId: ChatId,
  body: unknown,
  ctx: CommandContext,
): Promise<Forked> {
  const { at } = validate<{ at: number }>(forkChatBody, structuredClone(body ?? {}));
  const events = (await d.store.readStream(streams.chat(chatId))).map(upcast);
  const original = events[0]?.data as ChatCreatedData | undefined;
  if (events[0]?.type !== 'ChatCreated' || original?.userId !== ctx.actor)
    throw new NotFoundError('chat not found');
  const forkId = asChatId(stableUuid(`fork:${chatId}:${ctx.commandId}`));
  const now = d.now().toISOString();
  const plan = planFork(events, at, { chatId: forkId, userId: ctx.actor, at: now });
  const history = await ownParts(d.parts, plan.history);
  const r = await appendOrDiscard(d.parts, history, () =>
    d.handler.handle(
      chatDecider,
      streams.chat(forkId),
      { type: 'ForkChat', created: plan.created, history },
      // marks the copies: what reacts to a chat's events (turn jobs) leaves history alone
      { ...ctx, metadata: { ...ctx.metadata, [FORK_COPY]: chatId } },
    ),
  );
  const first = r.duplicate
    ? (await d.store.readStream(streams.chat(forkId), { maxCount: 1 }))[0]
    : undefined;
  const origin = (first?.data as ChatCreatedData | undefined)?.forkedFrom ?? plan.origin;
  await link(d.store, { ...origin, forkId, userId: ctx.actor, ownerId: original.userId, at: now }, ctx);
  return { chatId: forkId, origin, position: r.position };
}

/** The history with its messages' parts on blobs of the fork's own. */
async function ownParts(
  parts: ForkDeps['parts'],
  history: readonly ChatEvent[],
): Promise<readonly ChatEvent[]> {
  if (!parts) return history;
  const out: ChatEvent[] = [];
  try {
    for (const e of history) {
      if (e.type !== 'UserMessagePosted' || !e.data.parts) out.push(e);
      else out.push({ ...e, data: { ...e.data, parts: await parts.copy(e.data.parts) } });
    }
  } catch (err) {
    await parts.discard(partsOf(out));
    throw err;
  }
  return out;
}

/** Appends the fork; the blob copies go again when nothing was recorded (an error, or a retry's duplicate). */
async function appendOrDiscard(
  parts: ForkDeps['parts'],
  history: readonly ChatEvent[],
  append: () => Promise<CommandResult<ChatState>>,
): Promise<CommandResult<ChatState>> {
  let r: CommandResult<ChatState>;
  try {
    r = await append();
  } catch (err) {
    await parts?.discard(partsOf(history));
    throw err;
  }
  if (r.duplicate) await parts?.discard(partsOf(history));
  return r;
}

const partsOf = (history: readonly ChatEvent[]): StoredPart[] =>
  history.flatMap((e) => (e.type === 'UserMessagePosted' ? (e.data.parts ?? []) : []));

/** Records the fork in the original's fork list, once (a retried request finds it there). */
async function link(store: EventStore, data: ChatForkedData, ctx: CommandContext): Promise<void> {
  const stream = streams.chatForks(data.chatId);
  const known = await store.readStream(stream);
  if (known.some((e) => (e.data as { forkId?: string }).forkId === data.forkId)) return;
  await store.append(
    stream,
    [
      {
        id: stableUuid(`forklink:${data.forkId}`),
        type: 'ChatForked',
        data: { ...data },
        metadata: {
          correlationId: ctx.correlationId ?? ctx.commandId,
          causationId: ctx.causationId ?? ctx.commandId,
          actor: ctx.actor,
          commandId: ctx.commandId,
          version: 1,
        },
      },
    ],
    'any',
  );
}
