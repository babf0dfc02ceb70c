/**
 * The candidate's own model replies and tool results in a replayed turn, kept as the chat events a
 * real turn would have recorded (in memory only, never appended), so each model round's messages
 * are built by the code a real turn uses (turns/history.ts): the same history window and inline
 * tool-result limit, re-applied on every round; and a `retrieve_tool_result` for a result the
 * window replaced with a marker finds it here.
 */
import type { AssistantMessageData, ChatEvent, ToolCallPlan } from '../../events/chat-events.js';
import type { RecordedEvent } from '../../events/event-store.js';
import type { LlmMessage, LlmResult } from '../llm/llm.js';
import { recordResult } from '../turns/family-tools.js';
import { messagesForTurn, type PromptSources } from '../turns/history.js';
import { NOT_FOUND, RETRIEVE_TOOL_RESULT, recordOf } from '../turns/system/retrieve-tool-result.js';
import type { RecordedTurn } from './recorded-turns.js';

export class ScratchTurn {
  private readonly events: RecordedEvent[];

  constructor(private readonly turn: RecordedTurn) {
    this.events = [...turn.history];
  }

  /** This round's messages, from the recorded history and the candidate's replies so far. */
  messages(sources: PromptSources): LlmMessage[] {
    return messagesForTurn(this.events, this.turn.turnId, sources);
  }

  /**
   * A `retrieve_tool_result` call answered as a real turn answers it, from this turn's events (the
   * recorded history and the candidate's own results so far; nothing is read); undefined for any
   * other call.
   */
  retrieved(plan: ToolCallPlan): string | undefined {
    const ref = plan.target?.ref as { tool?: unknown } | undefined;
    if (plan.target?.family !== 'platform' || ref?.tool !== RETRIEVE_TOOL_RESULT) return undefined;
    const id = plan.arguments?.tool_call_id;
    const record = typeof id === 'string' ? recordOf(this.events, id) : undefined;
    return recordResult(record ?? NOT_FOUND).result;
  }

  /** A reply asking for tool calls, as AssistantMessageCompleted would record it. */
  reply(result: LlmResult, model: string): void {
    const data: AssistantMessageData = {
      messageId: `whatif-${this.turn.turnId}-${this.events.length}`,
      turnId: this.turn.turnId,
      attempt: 1,
      content: result.content,
      toolCalls: result.toolCalls,
      usage: result.usage,
      model,
      agentVersion: 0,
      finishReason: result.finishReason,
      endsTurn: false,
      at: new Date().toISOString(),
    };
    this.push({ type: 'AssistantMessageCompleted', data });
  }

  /** A tool call's answer (recorded, by policy, or run), as ToolCallCompleted would record it. */
  result(toolCallId: string, name: string, result: string): void {
    const at = new Date().toISOString();
    const data = { turnId: this.turn.turnId, toolCallId, name, status: 'ok' as const, result, at };
    this.push({ type: 'ToolCallCompleted', data: { ...data, executionId: null } });
  }

  private push(e: Extract<ChatEvent, { type: 'AssistantMessageCompleted' | 'ToolCallCompleted' }>): void {
    const last = this.events.at(-1);
    this.events.push({
      id: `${this.turn.turnId}-${this.events.length}`,
      type: e.type,
      data: e.data as unknown as Record<string, unknown>,
      metadata: {
        correlationId: this.turn.turnId,
        causationId: this.turn.turnId,
        actor: 'system',
        version: 1,
      },
      streamName: last?.streamName ?? '',
      revision: (last?.revision ?? -1n) + 1n,
      position: last?.position ?? 0n,
      createdAt: new Date(),
    });
  }
}
