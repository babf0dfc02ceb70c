/**
 * The LLM port (DESIGN §3): one streamed chat completion against an OpenAI-compatible endpoint.
 * Adapters: ./openai-llm.ts (the `openai` client, any compatible server). The built-in development
 * model (./dev-model.ts) is a server, reached through the same adapter.
 *
 * Contract of `complete`:
 * - calls `onDelta` for every content fragment and tool-call fragment, in arrival order;
 * - resolves with the assembled reply (content, tool calls, usage, model, finish reason);
 * - rejects with LlmError when the provider fails (its status and reason in the message), or
 *   with the signal's abort reason (an AbortError) when `options.signal` aborts.
 */
import { UnavailableError } from '../../errors.js';
import type { StoredPart } from '../../events/message-parts.js';

export interface LlmToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

/** A content part in the provider's format (the `openai` client's chat content parts). */
export type LlmContentPart =
  | { readonly type: 'text'; readonly text: string }
  | {
      readonly type: 'image_url';
      readonly image_url: { readonly url: string; readonly detail?: 'low' | 'high' | 'auto' };
    }
  | { readonly type: 'input_audio'; readonly input_audio: { readonly data: string; readonly format: string } }
  | { readonly type: 'file'; readonly file: { readonly file_data: string; readonly filename: string } };

export interface LlmMessage {
  readonly role: 'system' | 'user' | 'assistant' | 'tool';
  readonly content: string | null | readonly LlmContentPart[];
  /**
   * a user message's parts as the chat recorded them (blob references): the turn turns them into
   * `content` parts with their bytes (runtime/parts/part-wire.ts) before the model is called
   */
  readonly parts?: readonly StoredPart[];
  readonly tool_calls?: readonly LlmToolCall[];
  readonly tool_call_id?: string;
  readonly name?: string;
}

export interface LlmTool {
  readonly type: 'function';
  readonly function: {
    readonly name: string;
    readonly description?: string;
    readonly parameters: Record<string, unknown>;
  };
}

export type LlmResponseFormat =
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean } };

export interface LlmRequest {
  readonly model: string;
  readonly messages: readonly LlmMessage[];
  readonly temperature?: number;
  readonly max_tokens?: number;
  readonly tools?: readonly LlmTool[];
  /** sent only with `tools`; the runtime uses 'auto' (spec §3.8 step 7) */
  readonly tool_choice?: 'auto' | 'none' | 'required';
  readonly response_format?: LlmResponseFormat;
}

export type LlmDelta =
  | { readonly type: 'content'; readonly text: string }
  | {
      readonly type: 'tool_call';
      readonly index: number;
      readonly id?: string;
      readonly name?: string;
      readonly argumentsDelta?: string;
    };

export interface LlmUsage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export interface LlmResult {
  readonly content: string;
  readonly toolCalls: readonly LlmToolCall[];
  readonly usage: LlmUsage;
  readonly model: string;
  readonly finishReason: string;
}

export interface LlmEndpoint {
  readonly baseUrl: string;
  readonly apiKey: string;
  /** names the provider in error messages; default: the base URL's host */
  readonly label?: string;
}

export interface Llm {
  complete(
    endpoint: LlmEndpoint,
    request: LlmRequest,
    onDelta: (d: LlmDelta) => void,
    options?: { signal?: AbortSignal },
  ): Promise<LlmResult>;
}

/**
 * A provider failure. `retryable`: the failure was transient (rate limit, 5xx, connection, timeout),
 * so a later call may succeed. `partial`: deltas had already been delivered when it failed.
 */
export class LlmError extends UnavailableError {
  readonly status?: number;
  readonly retryable: boolean;
  readonly attempts: number;
  readonly partial: boolean;
  constructor(
    message: string,
    details: { status?: number; retryable: boolean; attempts?: number; partial?: boolean; cause?: unknown },
  ) {
    super(message);
    this.status = details.status;
    this.retryable = details.retryable;
    this.attempts = details.attempts ?? 1;
    this.partial = details.partial ?? false;
    if (details.cause !== undefined) this.cause = details.cause;
  }
}

export const zeroUsage: LlmUsage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };

/** True for the error an aborted signal produces (DOMException or Error named AbortError). */
export function isAbortError(err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError';
}

/** A reply being assembled from deltas; fold deltas in with `applyDelta`, finish with `toolCallsOf`. */
export interface AssembledReply {
  readonly content: string;
  readonly toolCalls: readonly (LlmToolCall & { readonly index: number })[];
}

export const emptyReply: AssembledReply = { content: '', toolCalls: [] };

export function applyDelta(reply: AssembledReply, delta: LlmDelta): AssembledReply {
  switch (delta.type) {
    case 'content':
      return { ...reply, content: reply.content + delta.text };
    case 'tool_call':
      return { ...reply, toolCalls: mergeToolCall(reply.toolCalls, delta) };
    default: {
      const unreachable: never = delta;
      return unreachable;
    }
  }
}

function mergeToolCall(
  calls: AssembledReply['toolCalls'],
  d: Extract<LlmDelta, { type: 'tool_call' }>,
): AssembledReply['toolCalls'] {
  const prev = calls.find((c) => c.index === d.index);
  const next = {
    index: d.index,
    id: prev?.id || d.id || '',
    type: 'function' as const,
    function: {
      name: prev?.function.name || d.name || '',
      arguments: (prev?.function.arguments ?? '') + (d.argumentsDelta ?? ''),
    },
  };
  return [...calls.filter((c) => c.index !== d.index), next].sort((a, b) => a.index - b.index);
}

/** The finished tool calls in index order; a call the provider sent without an id gets `call_<index>`. */
export function toolCallsOf(reply: AssembledReply): LlmToolCall[] {
  return reply.toolCalls.map(({ index, id, type, function: fn }) => ({
    id: id || `call_${index}`,
    type,
    function: { name: fn.name, arguments: fn.arguments },
  }));
}
