/**
 * The only allowed stand-in for an outside LLM: a real HTTP server on 127.0.0.1 speaking the OpenAI
 * chat-completions protocol (SSE streams with `data: [DONE]`, or one JSON body when `stream` is
 * not set), answering each request with the next scripted step:
 *
 *   const llm = await startScriptedLlm();          // llm.url = http://127.0.0.1:<port>/v1
 *   llm.script([{ text: 'Hello there', chunks: 3 }, { error: { status: 429, message: 'slow down' } }]);
 *   ... llm.requests[0].temperature ...              // every request body, in arrival order
 *   await llm.stop();
 *
 * Steps: `{ text }` (split after spaces, or into `chunks` equal pieces; `chunkDelayMs` between
 * chunks, `latencyMs` before the first byte; `hold: { afterChunks, until }` stops after that many
 * chunks until the promise settles or the client goes away: a turn that runs exactly as long as a
 * test needs, however busy the machine), `{ toolCalls }` (each call's arguments streamed in
 * three fragments), `{ error: { status, message } }`, `{ hangAfterChunks }` (then stalls until the
 * client goes away), `{ dropAfterChunks }` (then destroys the socket). With no step left it echoes
 * the last user message as `Echo: <text>`. Usage counts words; `model` echoes the request's.
 * Deterministic: the same step for the same request body gives byte-equal responses (the response
 * id is a digest of the body, `created` is 0, tool call ids are `call_<i>_scripted` unless given).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** no clock in answers: the same request gets byte-equal responses */
const CREATED = 0;

interface Timing {
  readonly latencyMs?: number;
  readonly chunkDelayMs?: number;
}

/** A text step can stop after some chunks until the test releases it (`hold.until` settles). */
interface Hold {
  readonly afterChunks: number;
  /** the rest streams once it settles, if the client is still there */
  readonly until: Promise<unknown>;
}

export type ScriptStep =
  | (Timing & {
      readonly text: string;
      readonly chunks?: number;
      readonly finishReason?: string;
      readonly hold?: Hold;
    })
  | (Timing & { readonly toolCalls: readonly ScriptedToolCall[] })
  | { readonly error: { readonly status: number; readonly message: string; readonly headers?: Headers } }
  | (Timing & { readonly hangAfterChunks: number })
  | (Timing & { readonly dropAfterChunks: number });

type Headers = Readonly<Record<string, string>>;

export interface ScriptedToolCall {
  readonly name: string;
  readonly arguments: object;
  readonly id?: string;
}

/** A request body as received; loosely typed, tests assert on its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RecordedRequest = Record<string, any>;

export interface ScriptedLlm {
  /** base URL for an OpenAI client, ending in /v1 */
  readonly url: string;
  readonly requests: readonly RecordedRequest[];
  /** queues steps after any still pending */
  script(steps: readonly ScriptStep[]): void;
  /** forgets pending steps and recorded requests */
  reset(): void;
  stop(): Promise<void>;
}

export async function startScriptedLlm(): Promise<ScriptedLlm> {
  const steps: ScriptStep[] = [];
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    handle(req, res, steps, requests).catch((err: unknown) => res.destroy(err as Error));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    script: (more) => void steps.push(...more),
    reset: () => void (steps.splice(0), requests.splice(0)),
    stop: () => close(server),
  };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  steps: ScriptStep[],
  requests: RecordedRequest[],
): Promise<void> {
  const raw = await readBody(req);
  if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
    return sendError(res, 404, `no route ${req.method} ${req.url}`);
  }
  const body = JSON.parse(raw) as RecordedRequest;
  requests.push(body);
  const step = steps.shift() ?? { text: `Echo: ${lastUserText(body)}` };
  const reply = new Reply(req, res, body);
  if ('latencyMs' in step && step.latencyMs) await reply.pause(step.latencyMs);
  await play(step, reply);
}

async function play(step: ScriptStep, reply: Reply): Promise<void> {
  if ('error' in step) return sendError(reply.res, step.error.status, step.error.message, step.error.headers);
  if ('text' in step)
    return reply.text(step.text, step.chunks, step.chunkDelayMs, step.finishReason, step.hold);
  if ('toolCalls' in step) return reply.toolCalls(step.toolCalls, step.chunkDelayMs);
  if ('hangAfterChunks' in step) return reply.hang(step.hangAfterChunks, step.chunkDelayMs);
  if ('dropAfterChunks' in step) return reply.drop(step.dropAfterChunks, step.chunkDelayMs);
  const unreachable: never = step;
  throw new Error(`unknown step ${JSON.stringify(unreachable)}`);
}

/** One response, streamed or not, as the request asked. */
class Reply {
  private readonly id: string;
  private closed = false;

  constructor(
    private readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly body: RecordedRequest,
  ) {
    this.id = `chatcmpl-scripted-${createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 16)}`;
    res.on('close', () => (this.closed = true));
  }

  async text(text: string, chunks?: number, delayMs = 0, finish = 'stop', hold?: Hold): Promise<void> {
    const usage = usageOf(this.body, text);
    if (!this.body.stream) {
      if (hold) await this.held(hold.until);
      return this.json({ role: 'assistant', content: text }, finish, usage);
    }
    const deltas = split(text, chunks).map((content, i) => ({
      ...(i === 0 ? { role: 'assistant' } : {}),
      content,
    }));
    const at = hold ? hold.afterChunks : deltas.length;
    await this.stream(deltas.slice(0, at), delayMs);
    if (hold) {
      await this.held(hold.until);
      await this.stream(deltas.slice(at), delayMs, true);
    }
    this.finish(finish, usage);
  }

  /** until `until` settles or the client goes away */
  private held(until: Promise<unknown>): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      this.res.once('close', resolve);
      until.then(
        () => resolve(),
        () => resolve(),
      );
    });
  }

  async toolCalls(calls: readonly ScriptedToolCall[], delayMs = 0): Promise<void> {
    const wire = calls.map((c, i) => ({
      id: c.id ?? `call_${i}_scripted`,
      name: c.name,
      args: JSON.stringify(c.arguments),
    }));
    const usage = usageOf(this.body, wire.map((c) => c.args).join(' '));
    if (!this.body.stream) {
      const tool_calls = wire.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: c.args },
      }));
      return this.json({ role: 'assistant', content: null, tool_calls }, 'tool_calls', usage);
    }
    const deltas = wire.flatMap((c, index) => [
      { tool_calls: [{ index, id: c.id, type: 'function', function: { name: c.name, arguments: '' } }] },
      ...split(c.args, 3).map((part) => ({ tool_calls: [{ index, function: { arguments: part } }] })),
    ]);
    await this.stream([{ role: 'assistant', content: null }, ...deltas], delayMs);
    this.finish('tool_calls', usage);
  }

  async hang(chunks: number, delayMs = 0): Promise<void> {
    if (this.body.stream) await this.stream(numbered(chunks), delayMs);
    await new Promise<void>((resolve) => (this.closed ? resolve() : this.res.once('close', resolve)));
  }

  async drop(chunks: number, delayMs = 0): Promise<void> {
    if (this.body.stream) await this.stream(numbered(chunks), delayMs);
    await this.pause(20); // let the client read what was sent before the connection breaks
    this.req.socket.destroy();
  }

  pause(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  private async stream(deltas: readonly object[], delayMs: number, more = false): Promise<void> {
    if (this.closed) return;
    if (!more) this.res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    for (const [i, delta] of deltas.entries()) {
      if (this.closed) return;
      if (i > 0 && delayMs > 0) await this.pause(delayMs);
      this.send(this.chunk([{ index: 0, delta, finish_reason: null }]));
    }
  }

  private finish(reason: string, usage: object): void {
    if (this.closed) return;
    this.send(this.chunk([{ index: 0, delta: {}, finish_reason: reason }]));
    if (this.body.stream_options?.include_usage) this.send({ ...this.chunk([]), usage });
    this.res.end('data: [DONE]\n\n');
  }

  private send(data: object): void {
    this.res.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  private chunk(choices: object[]): object {
    return {
      id: this.id,
      object: 'chat.completion.chunk',
      created: CREATED,
      model: this.body.model,
      choices,
    };
  }

  private json(message: object, finish: string, usage: object): void {
    if (this.closed) return;
    const choice = { index: 0, message, finish_reason: finish, logprobs: null };
    const payload = {
      id: this.id,
      object: 'chat.completion',
      created: CREATED,
      model: this.body.model,
      choices: [choice],
      usage,
    };
    this.res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
  }
}

function sendError(res: ServerResponse, status: number, message: string, headers: Headers = {}): void {
  if (res.destroyed) return;
  const error = {
    message,
    type: status < 500 ? 'invalid_request_error' : 'server_error',
    param: null,
    code: null,
  };
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify({ error }));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (b: Buffer) => parts.push(b));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** `n` equal pieces, or after each whitespace when n is not given. */
function split(text: string, n?: number): string[] {
  if (!n) return text.split(/(?<=\s)/);
  const size = Math.ceil(text.length / n);
  return Array.from({ length: n }, (_, i) => text.slice(i * size, (i + 1) * size)).filter(Boolean);
}

function numbered(n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({
    ...(i === 0 ? { role: 'assistant' } : {}),
    content: `part${i} `,
  }));
}

function lastUserText(body: RecordedRequest): string {
  const messages = (body.messages ?? []) as { role: string; content: unknown }[];
  const user = messages.findLast((m) => m.role === 'user');
  return typeof user?.content === 'string' ? user.content : '';
}

function usageOf(body: RecordedRequest, completion: string): object {
  const messages = (body.messages ?? []) as { content: unknown }[];
  const prompt_tokens = messages.reduce(
    (n, m) => n + words(typeof m.content === 'string' ? m.content : ''),
    0,
  );
  const completion_tokens = words(completion);
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}

function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}
