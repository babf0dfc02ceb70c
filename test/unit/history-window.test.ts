/**
 * The history a turn's model call sees (reference §3.8 step 6): the last 100 messages, never cut
 * between a tool call and its result, the system prompt and initial messages always kept, and only
 * the last 5 tool results inline, older ones replaced by the retrieve_tool_result marker.
 */
import { expect } from 'chai';
import type { ChatEvent } from '../../src/events/chat-events.js';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { messagesForTurn } from '../../src/runtime/turns/history.js';
import { toolResultMarker } from '../../src/runtime/turns/history-window.js';

const at = '2025-01-01T00:00:00.000Z';
const usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };

/** A chat's events, written turn by turn. */
class ChatLog {
  readonly events: RecordedEvent[] = [];
  private turns = 0;

  constructor() {
    this.push({
      type: 'ChatCreated',
      data: {
        chatId: 'c',
        userId: 'u',
        agent: { namespace: 'default', name: 'a', id: 'a' },
        agentVersion: 1,
        title: 't',
        input: {},
        sessionKey: null,
        expiresAt: null,
        initialMessages: [
          { messageId: 'i1', role: 'user', content: 'initial question' },
          { messageId: 'i2', role: 'assistant', content: 'initial answer' },
        ],
        at,
      },
    });
  }

  /** user + assistant: two history messages */
  plain(): string {
    const turnId = this.user();
    this.reply(turnId, `answer ${turnId}`, []);
    return turnId;
  }

  /** user, assistant calling `calls.length` tools, their results, final assistant */
  withTools(calls: readonly string[]): string {
    const turnId = this.user();
    const toolCalls = calls.map((id) => ({
      id,
      type: 'function' as const,
      function: { name: `tool_${id}`, arguments: '{}' },
    }));
    this.reply(turnId, '', toolCalls);
    for (const id of calls)
      this.push({
        type: 'ToolCallCompleted',
        data: {
          turnId,
          toolCallId: id,
          name: `tool_${id}`,
          status: 'ok',
          result: `full result of ${id}`,
          executionId: null,
          at,
        },
      });
    this.reply(turnId, `done ${turnId}`, []);
    return turnId;
  }

  private user(): string {
    const turnId = `t${++this.turns}`;
    this.push({
      type: 'UserMessagePosted',
      data: { messageId: `m-${turnId}`, turnId, content: `q ${turnId}`, at },
    });
    return turnId;
  }

  private reply(
    turnId: string,
    content: string,
    toolCalls: readonly { id: string; type: 'function'; function: { name: string; arguments: string } }[],
  ) {
    this.push({
      type: 'AssistantMessageCompleted',
      data: {
        messageId: `r-${turnId}-${this.events.length}`,
        turnId,
        attempt: 1,
        content,
        toolCalls,
        usage,
        model: 'm',
        agentVersion: 1,
        finishReason: toolCalls.length ? 'tool_calls' : 'stop',
        endsTurn: toolCalls.length === 0,
        at,
      },
    });
  }

  private push(e: ChatEvent): void {
    const revision = BigInt(this.events.length);
    this.events.push({
      streamName: 'chat-c',
      type: e.type,
      data: e.data as unknown as Record<string, unknown>,
      metadata: {},
      revision,
      position: revision,
      createdAt: new Date(at),
    } as unknown as RecordedEvent);
  }
}

describe('history window (reference §3.8 step 6)', () => {
  /**
   * 120 history messages with 8 tool results: 9 plain turns (messages 0-17), a tool turn whose call
   * is message 19 and result message 20 (where a plain 100-message window would start), 35 plain
   * turns, then 7 tool turns, the last one the current turn.
   */
  function longChat() {
    const log = new ChatLog();
    for (let i = 0; i < 9; i++) log.plain();
    log.withTools(['call-0']);
    for (let i = 0; i < 35; i++) log.plain();
    let current = '';
    for (let i = 1; i < 8; i++) current = log.withTools([`call-${i}`]);
    return { events: log.events, current };
  }

  it('keeps the last 100 messages, widened so the first kept tool result keeps its call', () => {
    const { events, current } = longChat();
    const messages = messagesForTurn(events, current, { systemPrompt: 'be brief', input: {} });
    expect(messages.slice(0, 3).map((m) => m.content)).to.deep.equal([
      'be brief',
      'initial question',
      'initial answer',
    ]);
    const history = messages.slice(3);
    expect(history).to.have.length(101);
    expect(history[0]).to.include({ role: 'assistant' });
    expect(history[0]!.tool_calls?.[0]?.id).to.equal('call-0');
    expect(history[1]).to.include({ role: 'tool', tool_call_id: 'call-0' });
    expect(history.at(-1)).to.include({ role: 'assistant', content: `done ${current}` });
  });

  it('keeps the last 5 tool results inline and replaces older ones with the exact marker', () => {
    const { events, current } = longChat();
    const tools = messagesForTurn(events, current, { systemPrompt: null, input: {} }).filter(
      (m) => m.role === 'tool',
    );
    expect(tools.map((m) => m.content)).to.deep.equal([
      '[Result from tool_call-0 (tool_call_id: call-0). Use retrieve_tool_result("call-0") to access full data.]',
      toolResultMarker('tool_call-1', 'call-1'),
      toolResultMarker('tool_call-2', 'call-2'),
      'full result of call-3',
      'full result of call-4',
      'full result of call-5',
      'full result of call-6',
      'full result of call-7',
    ]);
  });

  it('takes both numbers from the window it is given', () => {
    const log = new ChatLog();
    log.plain();
    log.withTools(['a', 'b']);
    const current = log.withTools(['c']);
    const window = { maxMessages: 4, inlineToolResults: 1 };
    const messages = messagesForTurn(log.events, current, { systemPrompt: null, input: {}, window });
    expect(messages.slice(2).map((m) => m.role)).to.deep.equal(['user', 'assistant', 'tool', 'assistant']);
    const cut = messagesForTurn(log.events, current, {
      systemPrompt: null,
      input: {},
      window: { maxMessages: 6, inlineToolResults: 1 },
    });
    // 6 back lands on result 'b': widened to the call that asked for 'a' and 'b'
    const history = cut.slice(2);
    expect(history[0]!.tool_calls?.map((c) => c.id)).to.deep.equal(['a', 'b']);
    expect(history.filter((m) => m.role === 'tool').map((m) => m.content)).to.deep.equal([
      toolResultMarker('tool_a', 'a'),
      toolResultMarker('tool_b', 'b'),
      'full result of c',
    ]);
  });
});
