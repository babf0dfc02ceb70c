/**
 * The adapter's request (reference §7.1): the chat-completions body as a JSON Schema, and its
 * parsed form with message contents as text.
 */
import type { JSONSchema } from '../../commands/validation.js';
import { validate } from '../../commands/validation.js';
import type { ContentPartInput } from '../../commands/chat/chat-schemas.js';
import { ValidationError } from '../../errors.js';
import type { LlmMessage, LlmToolCall } from '../../runtime/llm/llm.js';

/** more than any model's output window: a bound, not a policy */
const MAX_TOKENS = 10_000_000;
/** one message's text: the body limit bounds the sum */
const TEXT = 1_000_000;
/** an inline part's base64 or data URL */
const BASE64 = 1_400_000_000;
const nullable = (s: JSONSchema): JSONSchema => ({ anyOf: [s, { type: 'null' }] });

/** text, and the client's image_url / input_audio / file parts (checked further when posted) */
const contentPart: JSONSchema = {
  type: 'object',
  required: ['type'],
  properties: {
    type: { type: 'string', maxLength: 100 },
    text: { type: 'string', maxLength: TEXT },
    // bounded in practice by the JSON body limit (SINAS_BODY_LIMIT) and the part limit
    image_url: {
      type: 'object',
      required: ['url'],
      properties: { url: { type: 'string', maxLength: BASE64 } },
    },
    input_audio: {
      type: 'object',
      required: ['data'],
      properties: { data: { type: 'string', maxLength: BASE64 } },
    },
    file: { type: 'object' },
  },
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

type WireContent = string | readonly WirePart[] | null;

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

/** A message as the adapter took it: text, and a user message's parts when one is not text. */
export type AdapterMessage = Omit<LlmMessage, 'content' | 'parts'> & {
  readonly content: string | null;
  /** the parts in the platform's form (reference §3.4), for agent mode to post */
  readonly userParts?: readonly ContentPartInput[];
};

export interface CompletionRequest {
  readonly model: string | undefined;
  readonly messages: readonly AdapterMessage[];
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
      ...contentOf(m, `messages.${i}.content`),
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

/** Text; a user message's other parts are kept (in the platform's form) for agent mode. */
function contentOf(
  m: WireMessage,
  field: string,
): { content: string | null; userParts?: ContentPartInput[] } {
  const content = m.content ?? null;
  if (content === null || typeof content === 'string') return { content };
  const text = content.filter((p) => p.type === 'text').map((p) => p.text ?? '');
  if (text.length === content.length) return { content: text.join('\n') };
  if (m.role !== 'user')
    throw new ValidationError(`${field}: only a user message may have non-text parts`, field);
  return { content: text.join('\n'), userParts: content.map((p, j) => platformPart(p, `${field}.${j}`)) };
}

/** The client's part (image_url, input_audio, file) as the platform's (image, audio, file). */
function platformPart(p: WirePart, field: string): ContentPartInput {
  switch (p.type) {
    case 'text':
      return { type: 'text', text: p.text ?? '' };
    case 'image_url':
      return {
        type: 'image',
        image: p.image_url!.url,
        ...(p.image_url!.detail ? { detail: p.image_url!.detail } : {}),
      };
    case 'input_audio':
      return {
        type: 'audio',
        data: p.input_audio!.data,
        format: p.input_audio!.format as ContentPartInput['format'],
      };
    case 'file': {
      const f = p.file ?? {};
      return {
        type: 'file',
        ...(f.file_data !== undefined ? { file_data: f.file_data } : {}),
        ...(f.file_id !== undefined ? { file_id: f.file_id } : {}),
        ...(f.filename !== undefined ? { filename: f.filename } : {}),
      };
    }
    case 'image':
    case 'audio':
      return p as unknown as ContentPartInput; // already the platform's form
    default:
      throw new ValidationError(`${field}.type: unknown part type '${p.type}'`, `${field}.type`);
  }
}

interface WirePart {
  readonly type: string;
  readonly text?: string;
  readonly image_url?: { readonly url: string; readonly detail?: 'low' | 'high' | 'auto' };
  readonly input_audio?: { readonly data: string; readonly format?: string };
  readonly file?: { readonly file_data?: string; readonly file_id?: string; readonly filename?: string };
}
