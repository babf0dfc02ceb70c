/**
 * Where one turn stands, for whoever waits on it: the turn's own events folded by the chat decider's
 * evolve (the one place that knows how a turn moves) onto a chat that holds only this turn. It says
 * when the turn ended, or when it waits only for people (every open tool call awaits an approval).
 */
import type { AgentRef, ChatEvent, ToolCallPlan } from '../../events/chat-events.js';
import { chatDecider, type ChatState, type Turn } from './chat-decider.js';

type Reply = Extract<ChatEvent, { type: 'AssistantMessageCompleted' }>['data'];

interface EventLike {
  readonly type: string;
  readonly data: unknown;
}

export type TurnStop<E extends EventLike = EventLike> =
  | { readonly kind: 'ended'; readonly event: E }
  | { readonly kind: 'awaiting_approval'; readonly reply: Reply; readonly pending: readonly ToolCallPlan[] };

const NO_AGENT: AgentRef = { namespace: '', name: '', id: '' };

/** The chat state just after the turn's message, with no other turn (nothing else of the chat matters here). */
function onlyTurn(turnId: string): ChatState {
  const created: ChatEvent = {
    type: 'ChatCreated',
    data: {
      chatId: '',
      userId: '',
      agent: NO_AGENT,
      agentVersion: 0,
      title: '',
      input: {},
      sessionKey: null,
      expiresAt: null,
      initialMessages: [],
      at: '',
    },
  };
  const posted: ChatEvent = {
    type: 'UserMessagePosted',
    data: { messageId: '', turnId, content: '', at: '' },
  };
  return [created, posted].reduce(chatDecider.evolve, chatDecider.initialState);
}

const turnOf = (data: unknown) => (data as { turnId?: string } | undefined)?.turnId;

export class TurnWatch {
  private state: ChatState;
  private reply: Reply | undefined;

  constructor(readonly turnId: string) {
    this.state = onlyTurn(turnId);
  }

  /** Feeds one chat event (others' are ignored); returns why to stop, if the turn stopped here. */
  see<E extends EventLike>(e: E): TurnStop<E> | undefined {
    if (turnOf(e.data) !== this.turnId || e.type === 'UserMessagePosted') return undefined;
    const before = this.turn();
    if (!before) return undefined; // already ended
    const ev = { type: e.type, data: e.data } as ChatEvent;
    this.state = chatDecider.evolve(this.state, ev);
    if (ev.type === 'AssistantMessageCompleted') this.reply = ev.data;
    const turn = this.turn();
    if (!turn) return { kind: 'ended', event: e };
    const waitingForPeople = turn.open.length > 0 && turn.open.every((c) => c.approval === 'pending');
    if (turn === before || !waitingForPeople || !this.reply) return undefined;
    return { kind: 'awaiting_approval', reply: this.reply, pending: turn.open.map((c) => c.plan) };
  }

  /** The plan of an open tool call of the turn (its arguments and description). */
  plan(toolCallId: string): ToolCallPlan | undefined {
    return this.turn()?.open.find((c) => c.plan.id === toolCallId)?.plan;
  }

  private turn(): Turn | undefined {
    return this.state.status === 'open'
      ? this.state.pending.find((t) => t.turnId === this.turnId)
      : undefined;
  }
}
