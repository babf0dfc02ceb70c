/**
 * The adapter's request (reference §7.1): the chat-completions body as a JSON Schema, and its
 * parsed form with message contents as text.
 */
import type { JSONSchema } from '../../commands/validation.js';
import { validate } from '../../commands/validation.js';
import { ValidationError } from '../../errors.js';
import type { LlmMessage, LlmToolCall } from '../../runtime/llm/llm.js';

/** more than any model's output window: a bound, not a policy */
const MAX_TOKENS = 10_000_000;
/** one message's text: the body limit bounds the sum */
const TEXT = 1_000_000;
const nullable = (s: JSONSchema): JSONSchema => ({ anyOf: [s, { type: 'null' }] });

const contentPart: JSONSchema = {
  type: 'object',
  required: ['type'],
  properties: { type: { type: 'string', maxLength: 100 }, text: { type: 'string', maxLength: TEXT } },
};

const toolCall: JSONSchema = {
  type: 'object',
  required: ['id', 'function'],
  properties: {
    id: { type: 'string', maxLength: 200 },
    type: { const: 'function' },
    function: {
      type: 'object',
      required: ['name', 'arguments'],
      properties: {
        name: { type: 'string', maxLength: 256 },
        arguments: { type: 'string', maxLength: TEXT },
      },
    },
  },
};

const message: JSONSchema = {
  type: 'object',
  required: ['role'],
  properties: {
    role: { type: 'string', enum: ['system', 'user', 'assistant', 'tool'] },
    content: {
      anyOf: [{ type: 'string', maxLength: TEXT }, { type: 'array', items: contentPart }, { type: 'null' }],
    },
    name: { type: 'string', maxLength: 256 },
    tool_call_id: { type: 'string', maxLength: 200 },
    tool_calls: nullable({ type: 'array', items: toolCall }),
  },
};

/** Unknown top-level fields (n, user, presence_penalty ...) are accepted and ignored, as OpenAI-compatible servers do. */
export const completionBody: JSONSchema = {
  type: 'object',
  required: ['messages'],
  properties: {
    model: { type: 'string', minLength: 1, maxLength: 600 },
    messages: { type: 'array', minItems: 1, items: message },
    stream: nullable({ type: 'boolean' }),
    stream_options: nullable({ type: 'object', properties: { include_usage: { type: 'boolean' } } }),
    temperature: nullable({ type: 'number', minimum: 0, maximum: 2 }),
    max_tokens: nullable({ type: 'integer', minimum: 1, maximum: MAX_TOKENS }),
    max_completion_tokens: nullable({ type: 'integer', minimum: 1, maximum: MAX_TOKENS }),
    top_p: nullable({ type: 'number', minimum: 0, maximum: 1 }),
    stop: nullable({
      anyOf: [
        { type: 'string', maxLength: 1000 },
        { type: 'array', items: { type: 'string', maxLength: 1000 } },
      ],
    }),
  },
};

type WireContent = string | readonly { type: string; text?: string }[] | null;

interface WireMessage {
  readonly role: LlmMessage['role'];
  readonly content?: WireContent;
  readonly name?: string;
  readonly tool_call_id?: string;
  readonly tool_calls?: readonly LlmToolCall[] | null;
}

interface WireBody {
  readonly model?: string;
  readonly messages: readonly WireMessage[];
  readonly stream?: boolean | null;
  readonly stream_options?: { readonly include_usage?: boolean } | null;
  readonly temperature?: number | null;
  readonly max_tokens?: number | null;
  readonly max_completion_tokens?: number | null;
}

export interface CompletionRequest {
  readonly model: string | undefined;
  readonly messages: readonly LlmMessage[];
  readonly stream: boolean;
  readonly includeUsage: boolean;
  readonly temperature?: number;
  readonly maxTokens?: number;
}

/** Validates the body (a 400 naming the field otherwise); text parts are joined, other parts refused. */
export function parseCompletionRequest(body: unknown): CompletionRequest {
  const b = validate<WireBody>(completionBody, structuredClone(body ?? {}));
  const maxTokens = b.max_tokens ?? b.max_completion_tokens ?? undefined;
  return {
    model: b.model,
    messages: b.messages.map((m, i) => ({
      role: m.role,
      content: textOf(m.content ?? null, `messages.${i}.content`),
      ...(m.name !== undefined ? { name: m.name } : {}),
      ...(m.tool_call_id !== undefined ? { tool_call_id: m.tool_call_id } : {}),
      ...(m.tool_calls?.length
        ? {
            tool_calls: m.tool_calls.map((c) => ({
              id: c.id,
              type: 'function' as const,
              function: c.function,
            })),
          }
        : {}),
    })),
    stream: b.stream === true,
    includeUsage: b.stream_options?.include_usage === true,
    ...(b.temperature != null ? { temperature: b.temperature } : {}),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
  };
}

function textOf(content: WireContent, field: string): string | null {
  if (content === null || typeof content === 'string') return content;
  return content
    .map((part, j) => {
      if (part.type === 'text' && typeof part.text === 'string') return part.text;
      throw new ValidationError(`${field}.${j}: only text parts are supported`, `${field}.${j}`);
    })
    .join('\n');
}
