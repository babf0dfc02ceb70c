/**
 * The LLM port over the `openai` client, for any OpenAI-compatible endpoint (OpenAI, Ollama, vLLM,
 * LM Studio, the built-in development model). Always streams, with usage in the last chunk.
 *
 * Retries are ours (the client's own are off): a rate limit (429), a 408 or 5xx, a connection
 * error or a timeout is retried with exponential backoff (base, 2×base, 4×base ..., at least the
 * provider's Retry-After, capped at maxDelayMs) up to `attempts` tries — but only while no delta
 * has been delivered for the call: once text has streamed, replaying would duplicate it, so a
 * failure then ends the call with LlmError (`partial: true`). Anything else (400, 401, 404 ...)
 * fails at once. `timeoutMs` bounds each wait: for the response to start, and between chunks.
 * An aborted `signal` rejects promptly with the signal's reason and is never retried.
 */
import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionContentPart,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import type { Stream } from 'openai/streaming';
import {
  applyDelta,
  emptyReply,
  LlmError,
  toolCallsOf,
  zeroUsage,
  type Llm,
  type LlmDelta,
  type LlmEndpoint,
  type LlmMessage,
  type LlmRequest,
  type LlmResult,
} from './llm.js';

export interface OpenAiLlmOptions {
  /** tries per call, the first included; default 3 */
  readonly attempts?: number;
  /** first backoff delay; default 250 ms */
  readonly baseDelayMs?: number;
  /** longest backoff delay; default 10 s */
  readonly maxDelayMs?: number;
  /** longest wait for the response to start or for the next chunk; default 60 s */
  readonly timeoutMs?: number;
}

export class OpenAiLlm implements Llm {
  private readonly clients = new Map<string, OpenAI>();
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;

  constructor(options: OpenAiLlmOptions = {}) {
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.baseDelayMs = options.baseDelayMs ?? 250;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.timeoutMs = options.timeoutMs ?? 60_000;
  }

  async complete(
    endpoint: LlmEndpoint,
    request: LlmRequest,
    onDelta: (d: LlmDelta) => void,
    options: { signal?: AbortSignal } = {},
  ): Promise<LlmResult> {
    const { signal } = options;
    signal?.throwIfAborted();
    const client = this.client(endpoint);
    const params = toParams(request);
    const progress = { delivered: false };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(client, params, onDelta, progress, signal);
      } catch (err) {
        signal?.throwIfAborted();
        if (err instanceof DeltaHandlerError) throw err.cause;
        const failure = classifyFailure(err);
        if (!failure.retryable || progress.delivered || attempt >= this.attempts) {
          throw toLlmError(endpoint, failure, attempt, progress.delivered, err);
        }
        await sleep(this.delayFor(attempt, failure), signal);
      }
    }
  }

  private client({ baseUrl, apiKey }: LlmEndpoint): OpenAI {
    const key = `${baseUrl}\u0000${apiKey}`;
    let client = this.clients.get(key);
    if (!client) {
      client = new OpenAI({
        baseURL: baseUrl,
        apiKey: apiKey || 'none', // local servers (Ollama, the dev model) need no key; the client needs one
        organization: null,
        project: null,
        maxRetries: 0,
        timeout: this.timeoutMs,
      });
      this.clients.set(key, client);
    }
    return client;
  }

  private async attempt(
    client: OpenAI,
    params: ChatCompletionCreateParamsStreaming,
    onDelta: (d: LlmDelta) => void,
    progress: { delivered: boolean },
    signal: AbortSignal | undefined,
  ): Promise<LlmResult> {
    const controller = new AbortController();
    const abort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', abort, { once: true });
    const idle = idleTimer(this.timeoutMs, () => controller.abort(new AttemptTimeout(this.timeoutMs)));
    try {
      const stream = await client.chat.completions.create(params, { signal: controller.signal });
      const result = await consume(stream, params.model, idle.reset, (d) => {
        progress.delivered = true;
        deliver(onDelta, d);
      });
      controller.signal.throwIfAborted(); // the client ends an aborted stream quietly
      return result;
    } catch (err) {
      controller.signal.throwIfAborted();
      throw err;
    } finally {
      idle.clear();
      signal?.removeEventListener('abort', abort);
    }
  }

  private delayFor(attempt: number, failure: Failure): number {
    const backoff = Math.min(this.baseDelayMs * 2 ** (attempt - 1), this.maxDelayMs);
    return Math.max(backoff, Math.min(failure.retryAfterMs ?? 0, this.maxDelayMs));
  }
}

async function consume(
  stream: Stream<ChatCompletionChunk>,
  requestedModel: string,
  onChunk: () => void,
  onDelta: (d: LlmDelta) => void,
): Promise<LlmResult> {
  let reply = emptyReply;
  let usage = zeroUsage;
  let model = '';
  let finishReason = '';
  for await (const chunk of stream) {
    onChunk();
    model ||= chunk.model ?? '';
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    finishReason = choice.finish_reason ?? finishReason;
    for (const d of deltasOf(choice.delta)) {
      reply = applyDelta(reply, d);
      onDelta(d);
    }
  }
  const { prompt_tokens, completion_tokens, total_tokens } = usage;
  return {
    content: reply.content,
    toolCalls: toolCallsOf(reply),
    usage: { prompt_tokens, completion_tokens, total_tokens },
    model: model || requestedModel,
    finishReason: finishReason || 'unknown',
  };
}

function deltasOf(delta: ChatCompletionChunk.Choice.Delta | undefined): LlmDelta[] {
  const out: LlmDelta[] = delta?.content ? [{ type: 'content', text: delta.content }] : [];
  for (const [i, call] of (delta?.tool_calls ?? []).entries()) {
    const { id, function: fn } = call;
    if (!id && !fn?.name && !fn?.arguments) continue;
    out.push({
      type: 'tool_call',
      index: call.index ?? i,
      ...(id ? { id } : {}),
      ...(fn?.name ? { name: fn.name } : {}),
      ...(fn?.arguments ? { argumentsDelta: fn.arguments } : {}),
    });
  }
  return out;
}

function toParams(r: LlmRequest): ChatCompletionCreateParamsStreaming {
  return {
    model: r.model,
    messages: r.messages.map(toMessage),
    stream: true,
    stream_options: { include_usage: true },
    ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
    ...(r.max_tokens !== undefined ? { max_tokens: r.max_tokens } : {}),
    ...(r.tools?.length
      ? { tools: r.tools.map((t) => ({ type: t.type, function: { ...t.function } })) }
      : {}),
    ...(r.tools?.length && r.tool_choice ? { tool_choice: r.tool_choice } : {}),
    ...(r.response_format ? { response_format: r.response_format } : {}),
  };
}

function toMessage(m: LlmMessage): ChatCompletionMessageParam {
  const name = m.name ? { name: m.name } : {};
  if (m.parts) throw new Error('a message with unresolved parts reached the provider (resolve them first)');
  switch (m.role) {
    case 'system':
      return { role: 'system', content: textOf(m.content), ...name };
    case 'user':
      return { role: 'user', content: userContent(m.content), ...name };
    case 'assistant': {
      const calls = m.tool_calls?.map((c) => ({ id: c.id, type: c.type, function: { ...c.function } }));
      return {
        role: 'assistant',
        content: m.content === null ? null : textOf(m.content),
        ...name,
        ...(calls?.length ? { tool_calls: calls } : {}),
      };
    }
    case 'tool':
      return { role: 'tool', content: textOf(m.content), tool_call_id: m.tool_call_id ?? '' };
    default: {
      const unreachable: never = m.role;
      throw new Error(`unknown message role ${String(unreachable)}`);
    }
  }
}

/** Text for roles that take only text: the text parts of a part list, joined. */
function textOf(content: LlmMessage['content']): string {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((p) => (p.type === 'text' ? p.text : '')).join('\n');
}

/** A user message's parts go as the client's content parts (image_url, input_audio, file). */
function userContent(content: LlmMessage['content']): string | ChatCompletionContentPart[] {
  if (content === null) return '';
  if (typeof content === 'string') return content;
  return content.map((p) => structuredClone(p) as ChatCompletionContentPart);
}

/** An error thrown by the caller's onDelta: passed through as is, never retried. */
class DeltaHandlerError extends Error {
  constructor(override readonly cause: unknown) {
    super('onDelta failed');
  }
}

function deliver(onDelta: (d: LlmDelta) => void, d: LlmDelta): void {
  try {
    onDelta(d);
  } catch (err) {
    throw new DeltaHandlerError(err);
  }
}

/** Why an attempt was cut short by our own timer. */
class AttemptTimeout extends Error {
  constructor(readonly ms: number) {
    super(`no response from the provider within ${ms} ms`);
  }
}

function idleTimer(ms: number, onTimeout: () => void): { reset(): void; clear(): void } {
  let timer = setTimeout(onTimeout, ms);
  return {
    reset: () => (clearTimeout(timer), (timer = setTimeout(onTimeout, ms))),
    clear: () => clearTimeout(timer),
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = () => (clearTimeout(timer), reject(signal?.reason));
    const timer = setTimeout(() => (signal?.removeEventListener('abort', stop), resolve()), ms);
    signal?.addEventListener('abort', stop, { once: true });
  });
}

function toLlmError(
  endpoint: LlmEndpoint,
  failure: Failure,
  attempts: number,
  partial: boolean,
  cause: unknown,
): LlmError {
  const label = endpoint.label ?? hostOf(endpoint.baseUrl);
  const tries = attempts > 1 ? ` after ${attempts} attempts` : '';
  const when = partial ? ' mid-stream' : '';
  return new LlmError(`LLM provider ${label} failed${when}${tries}: ${failure.reason}`, {
    ...(failure.status !== undefined ? { status: failure.status } : {}),
    retryable: failure.retryable,
    attempts,
    partial,
    cause,
  });
}

interface Failure {
  readonly reason: string;
  readonly retryable: boolean;
  readonly status?: number;
  readonly retryAfterMs?: number;
}

function classifyFailure(err: unknown): Failure {
  if (err instanceof AttemptTimeout) return { reason: err.message, retryable: true };
  if (err instanceof OpenAI.APIConnectionError) return { reason: describe(err), retryable: true };
  if (err instanceof OpenAI.APIError && err.status !== undefined) {
    const { status } = err;
    const retryable = status === 408 || status === 429 || status >= 500;
    const retryAfterMs = retryAfter(err.headers);
    return {
      reason: err.message,
      status,
      retryable,
      ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    };
  }
  // fetch's own network failures (e.g. "terminated" when the socket closes mid-body)
  if (err instanceof TypeError) return { reason: describe(err), retryable: true };
  return { reason: describe(err), retryable: false };
}

function describe(err: unknown, depth = 0): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error && depth < 3 ? `: ${describe(err.cause, depth + 1)}` : '';
  return depth === 0 && cause ? `${err.message} (${cause.slice(2)})` : `${err.message}${cause}`;
}

function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const seconds = Number(headers?.get('retry-after') ?? NaN);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
