/**
 * The built-in development model: a deterministic stand-in for an LLM, served over the OpenAI
 * chat-completions protocol so the platform can be tried with no API key. Mounted at `/dev-llm`
 * (base URL `<platform>/dev-llm/v1`); any API key is accepted. It is not a language model.
 *
 * `POST /v1/chat/completions` (streamed as SSE `data: {chunk}` … `data: [DONE]`, or one JSON body),
 * always answering as model `sinas-dev-model`:
 * - the last message is a user message containing `call <tool>` or `call tool <tool>` (optionally
 *   followed by a JSON object of arguments) and `<tool>` is in `tools` (`ns/name` also matches the
 *   tool `ns__name`) → a tool call to it with those arguments (`{}` when none or not valid JSON);
 *   every such phrase is one call (`call a/x and call a/y {"n": 1}` → two parallel calls),
 *   finish_reason `tool_calls`;
 * - the last message is a user message starting with `answer` and `continue_execution` is among the
 *   tools → a call to it for the first paused execution it lists, with the rest of the message
 *   (JSON when it parses, else the text) as the input;
 * - the last messages are tool results → `[sinas-dev-model] Tool <name> returned: <content>` for
 *   each, the name found by tool_call_id in the earlier assistant message;
 * - otherwise → `[sinas-dev-model] Echo: <text of the last user message>`, where each image, audio
 *   or file part reads as what arrived: `(received image image/png 1234 bytes sha256:<hex>)`;
 * - with `response_format` the text is wrapped in JSON: `json_object` → `{"reply": <text>}`;
 *   `json_schema` → a minimal object with the schema's required properties (strings: the text,
 *   numbers 0, booleans false, arrays [], objects: their own required properties, enum/const:
 *   the first allowed value).
 * Streams split the text after each whitespace (several chunks). Usage counts words. The same
 * request always gets byte-for-byte the same answer: the completion id and tool call ids are
 * digests of the request, and `created` is 0 (no clock, no counter, no randomness), so a replay of a
 * recorded turn against an unchanged agent sees exactly what the original saw.
 * `GET /v1/models` lists the one model.
 */
import { createHash } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';

export const DEV_MODEL = 'sinas-dev-model';
const LABEL = `[${DEV_MODEL}]`;

interface WireMessage {
  readonly role: string;
  readonly content?: unknown;
  readonly tool_calls?: readonly { id?: string; function?: { name?: string } }[];
  readonly tool_call_id?: string;
}

export interface DevModelRequest {
  readonly messages: readonly WireMessage[];
  readonly stream?: boolean;
  readonly stream_options?: { include_usage?: boolean };
  readonly tools?: readonly { function?: { name?: string; parameters?: unknown } }[];
  readonly response_format?: { type?: string; json_schema?: { schema?: Schema } };
}

type Schema = { readonly [key: string]: unknown };

interface DevToolCall {
  readonly id: string;
  readonly name: string;
  readonly arguments: string;
}

export type DevModelReply =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'tool_calls'; readonly calls: readonly DevToolCall[] };

export function devModelRouter(): Router {
  const router = express.Router();
  router.post('/v1/chat/completions', express.json({ limit: '64mb' }), chatCompletions);
  router.get('/v1/models', (_req, res) => void res.json({ object: 'list', data: [modelInfo()] }));
  router.get('/v1/models/:id', (req, res) =>
    req.params.id === DEV_MODEL ? void res.json(modelInfo()) : invalid(res, 404, `no model ${req.params.id}`),
  );
  return router;
}

function chatCompletions(req: Request, res: Response): void {
  const body = req.body as Partial<DevModelRequest> | undefined;
  const messages: unknown = body?.messages;
  if (!Array.isArray(messages) || !messages.every((m) => typeof (m as WireMessage)?.role === 'string')) {
    return invalid(res, 400, "'messages' must be an array of messages with a role");
  }
  const request = body as DevModelRequest;
  const id = `chatcmpl-dev-${digest(request).slice(0, 24)}`;
  const reply = devModelReply(request);
  const usage = usageOf(request, reply);
  if (request.stream)
    return streamReply(res, id, reply, request.stream_options?.include_usage ? usage : null);
  res.json({ ...envelope(id, 'chat.completion'), choices: [completeChoice(reply)], usage });
}

/** What the development model answers to a request (pure and deterministic). */
export function devModelReply(request: DevModelRequest): DevModelReply {
  const last = request.messages.at(-1);
  const calls = last?.role === 'user' ? requestedToolCalls(textOf(last.content), request) : [];
  if (calls.length > 0) return { kind: 'tool_calls', calls };
  const text = last?.role === 'tool' ? toolResultsText(request.messages) : echoText(request.messages);
  return { kind: 'text', text: formatted(text, request.response_format) };
}

function requestedToolCalls(text: string, request: DevModelRequest): DevToolCall[] {
  const names = new Set((request.tools ?? []).map((t) => t.function?.name).filter(Boolean));
  const id = (i: number) => `call_dev_${digest(request).slice(0, 16)}_${i}`;
  const answer = text.match(/^\s*answer\b\s*([\s\S]*)$/i);
  const resume = (request.tools ?? []).find((t) => t.function?.name === 'continue_execution');
  if (answer && resume) {
    const ids = (resume.function as { parameters?: Schema } | undefined)?.parameters as Schema | undefined;
    const paused = (((ids?.properties ?? {}) as Record<string, Schema>).execution_id?.enum ?? []) as string[];
    if (paused.length > 0) {
      const raw = answer[1]!.trim();
      let input: unknown = raw;
      try {
        input = JSON.parse(raw);
      } catch {
        // plain text answers as a string
      }
      return [
        {
          id: id(0),
          name: 'continue_execution',
          arguments: JSON.stringify({ execution_id: paused[0], input }),
        },
      ];
    }
  }
  const calls: DevToolCall[] = [];
  for (const m of text.matchAll(
    /\bcall(?:\s+tool)?\s+([\w./-]+?)[.,;:!?]?(?:\s+(\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}))?(?=\s|$)/gi,
  )) {
    const name = [m[1] ?? '', (m[1] ?? '').replace('/', '__')].find((n) => names.has(n));
    if (name) calls.push({ id: id(calls.length), name, arguments: parseObject(m[2]) });
  }
  return calls;
}

function parseObject(json: string | undefined): string {
  try {
    const value: unknown = JSON.parse(json ?? '{}');
    return value && typeof value === 'object' && !Array.isArray(value) ? JSON.stringify(value) : '{}';
  } catch {
    return '{}';
  }
}

/** One line per trailing tool result, in order. */
function toolResultsText(messages: readonly WireMessage[]): string {
  const results: WireMessage[] = [];
  for (let i = messages.length - 1; i >= 0 && messages[i]!.role === 'tool'; i--)
    results.unshift(messages[i]!);
  const calls = messages.flatMap((m) => (m.role === 'assistant' ? (m.tool_calls ?? []) : []));
  return results
    .map((r) => {
      const call = calls.find((c) => c.id === r.tool_call_id);
      return `${LABEL} Tool ${call?.function?.name ?? 'unknown'} returned: ${textOf(r.content)}`;
    })
    .join('\n');
}

function echoText(messages: readonly WireMessage[]): string {
  const user = messages.findLast((m) => m.role === 'user');
  return `${LABEL} Echo: ${user ? textOf(user.content) : '(no user message)'}`;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p: WirePart) => (p?.type === 'text' && typeof p.text === 'string' ? p.text : describePart(p)))
    .filter(Boolean)
    .join(' ');
}

interface WirePart {
  readonly type?: string;
  readonly text?: unknown;
  readonly image_url?: { readonly url?: unknown };
  readonly input_audio?: { readonly data?: unknown; readonly format?: unknown };
  readonly file?: { readonly file_data?: unknown; readonly filename?: unknown };
}

/**
 * What the model received in a non-text part, so a chat shows it without an API key:
 * `(received image image/png 1234 bytes sha256:<hex>)`, `(received image https://…)`,
 * `(received audio wav 1234 bytes sha256:<hex>)`, `(received file a.pdf application/pdf 1234 bytes sha256:<hex>)`.
 */
function describePart(p: WirePart): string {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (p?.type) {
    case 'image_url': {
      const url = str(p.image_url?.url);
      return `(received image ${url.startsWith('data:') ? dataUrlFacts(url) : url})`;
    }
    case 'input_audio':
      return `(received audio ${str(p.input_audio?.format)} ${bytesFacts(Buffer.from(str(p.input_audio?.data), 'base64'))})`;
    case 'file':
      return `(received file ${str(p.file?.filename)} ${dataUrlFacts(str(p.file?.file_data))})`;
    default:
      return '';
  }
}

function dataUrlFacts(url: string): string {
  const m = /^data:([^;,]+)[^,]*;base64,(.*)$/s.exec(url);
  return m ? `${m[1]} ${bytesFacts(Buffer.from(m[2]!, 'base64'))}` : bytesFacts(Buffer.from(url, 'base64'));
}

function bytesFacts(bytes: Buffer): string {
  return `${bytes.length} bytes sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function formatted(text: string, format: DevModelRequest['response_format']): string {
  if (format?.type === 'json_object') return JSON.stringify({ reply: text });
  if (format?.type === 'json_schema')
    return JSON.stringify(placeholder(format.json_schema?.schema ?? {}, text));
  return text;
}

/** A minimal value satisfying `schema`'s type and required properties. */
function placeholder(schema: Schema, text: string): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const options = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(options) && options.length > 0) return placeholder(options[0] as Schema, text);
  const types: unknown[] = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((t) => t !== 'null') ?? types[0];
  if (type === 'object' || (type === undefined && schema.properties)) return objectPlaceholder(schema, text);
  if (type === 'number' || type === 'integer') return 0;
  if (type === 'boolean') return false;
  if (type === 'array') return [];
  if (type === 'null') return null;
  return text;
}

function objectPlaceholder(schema: Schema, text: string): Record<string, unknown> {
  const properties = (schema.properties ?? {}) as Record<string, Schema>;
  const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
  return Object.fromEntries(required.map((key) => [key, placeholder(properties[key] ?? {}, text)]));
}

function streamReply(res: Response, id: string, reply: DevModelReply, usage: object | null): void {
  res.status(200).set({ 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
  const chunk = (delta: object, finish: string | null = null) =>
    send({ ...envelope(id, 'chat.completion.chunk'), choices: [{ index: 0, delta, finish_reason: finish }] });
  for (const delta of streamedDeltas(reply)) chunk(delta);
  chunk({}, finishReason(reply));
  if (usage) send({ ...envelope(id, 'chat.completion.chunk'), choices: [], usage });
  res.end('data: [DONE]\n\n');
}

function streamedDeltas(reply: DevModelReply): object[] {
  switch (reply.kind) {
    case 'text':
      return splitAfterSpaces(reply.text).map((text, i) => ({
        ...(i === 0 ? { role: 'assistant' } : {}),
        content: text,
      }));
    case 'tool_calls':
      return reply.calls.flatMap((call, index) => {
        const half = Math.ceil(call.arguments.length / 2);
        const head = { index, id: call.id, type: 'function', function: { name: call.name, arguments: '' } };
        const parts = [call.arguments.slice(0, half), call.arguments.slice(half)].filter(Boolean);
        const tail = parts.map((part) => ({ tool_calls: [{ index, function: { arguments: part } }] }));
        return [
          { ...(index === 0 ? { role: 'assistant', content: null } : {}), tool_calls: [head] },
          ...tail,
        ];
      });
    default: {
      const unreachable: never = reply;
      return unreachable;
    }
  }
}

function completeChoice(reply: DevModelReply): object {
  const message =
    reply.kind === 'text'
      ? { role: 'assistant', content: reply.text }
      : { role: 'assistant', content: null, tool_calls: reply.calls.map(toolCallOf) };
  return { index: 0, message, finish_reason: finishReason(reply), logprobs: null };
}

function toolCallOf(call: DevToolCall): object {
  return { id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } };
}

function finishReason(reply: DevModelReply): string {
  return reply.kind === 'text' ? 'stop' : 'tool_calls';
}

function splitAfterSpaces(text: string): string[] {
  const parts = text.split(/(?<=\s)/);
  return parts.length > 0 && parts[0] !== '' ? parts : [text];
}

function usageOf(request: DevModelRequest, reply: DevModelReply): object {
  const prompt_tokens = request.messages.reduce((n, m) => n + words(textOf(m.content)), 0);
  const completion_tokens =
    words(reply.kind === 'text' ? reply.text : reply.calls.map((c) => c.arguments).join(' ')) + 1;
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function envelope(id: string, object: string): object {
  return {
    id,
    object,
    created: 0, // no clock: the same request must get byte-equal answers
    model: DEV_MODEL,
    system_fingerprint: 'sinas-dev',
  };
}

function modelInfo(): object {
  return { id: DEV_MODEL, object: 'model', created: 0, owned_by: 'sinas' };
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function invalid(res: Response, status: number, message: string): void {
  res.status(status).json({ error: { message, type: 'invalid_request_error', param: null, code: null } });
}
