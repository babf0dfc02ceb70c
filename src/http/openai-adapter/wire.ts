/**
 * The OpenAI wire format of the adapter's answers (reference §7): completion, chunk and model
 * objects, and their JSON Schemas for the OpenAPI document.
 */
import { randomBytes } from 'node:crypto';
import type { JSONSchema } from '../../commands/validation.js';
import type { LlmToolCall, LlmUsage } from '../../runtime/llm/llm.js';

export interface ModelObject {
  readonly id: string;
  readonly object: 'model';
  readonly created: number;
  readonly owned_by: string;
}

export const modelSchema: JSONSchema = {
  type: 'object',
  required: ['id', 'object', 'created', 'owned_by'],
  properties: {
    id: { type: 'string' },
    object: { const: 'model' },
    created: { type: 'integer' },
    owned_by: { type: 'string' },
  },
};

export const modelListSchema: JSONSchema = {
  type: 'object',
  properties: { object: { const: 'list' }, data: { type: 'array', items: modelSchema } },
};

export const completionSchema: JSONSchema = {
  type: 'object',
  description:
    'chat.completion; with stream: true, text/event-stream of `data: {chat.completion.chunk}` lines ending in `data: [DONE]`',
  properties: {
    id: { type: 'string' },
    object: { const: 'chat.completion' },
    created: { type: 'integer' },
    model: { type: 'string' },
    choices: { type: 'array', items: { type: 'object' } },
    usage: { type: 'object' },
  },
};

/** One completion's identity: every chunk of a stream shares it. */
export interface CompletionHead {
  readonly id: string;
  readonly created: number;
  readonly model: string;
}

export function completionHead(model: string): CompletionHead {
  return {
    id: `chatcmpl-${randomBytes(12).toString('hex')}`,
    created: Math.floor(Date.now() / 1000),
    model,
  };
}

export interface Reply {
  readonly content: string;
  readonly toolCalls: readonly LlmToolCall[];
  readonly finishReason: string;
  readonly usage: LlmUsage;
}

export function completion(head: CompletionHead, r: Reply): Record<string, unknown> {
  const message = {
    role: 'assistant',
    content: r.content === '' && r.toolCalls.length > 0 ? null : r.content,
    ...(r.toolCalls.length > 0 ? { tool_calls: r.toolCalls } : {}),
  };
  return {
    ...head,
    object: 'chat.completion',
    choices: [{ index: 0, message, logprobs: null, finish_reason: r.finishReason }],
    usage: r.usage,
  };
}

export function chunk(
  head: CompletionHead,
  delta: Record<string, unknown>,
  finishReason: string | null = null,
): Record<string, unknown> {
  return {
    ...head,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  };
}

/** The extra chunk `stream_options.include_usage` asks for: no choices, the usage. */
export function usageChunk(head: CompletionHead, usage: LlmUsage): Record<string, unknown> {
  return { ...head, object: 'chat.completion.chunk', choices: [], usage };
}
