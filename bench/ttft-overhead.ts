/**
 * `ttft_overhead`: time to first token through the platform — POST /chats/{id}/messages/stream
 * (SSE) until the first `event: message` frame — against calling the same zero-latency model
 * directly with the `openai` client (`stream: true`, until the first content chunk). The model is
 * the scripted OpenAI-compatible peer (a real HTTP server, no delays), set up as the default
 * provider. Samples are sequential and interleaved (direct, platform, direct, ...); each platform
 * sample uses a fresh chat (created untimed), so every turn sends the model the same request, and
 * the direct call replays exactly that request.
 *
 * Where the platform's time goes is split with two clocks it does not own: when the scripted peer
 * received the request (its request log is appended on arrival), and when the response headers came
 * back (the user message is committed by then).
 */
import { performance } from 'node:perf_hooks';
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { EventStore } from '../src/events/event-store.js';
import { streams } from '../src/events/stream-names.js';
import { startScriptedLlm, type RecordedRequest } from '../test/support/scripted-llm.js';
import { emit, log } from './io.js';
import { ADMIN_KEY, createAgent, createChat, startBenchPlatform, type BenchPlatform } from './platform.js';
import { SseParser } from './sse-client.js';
import { median, percentile, round } from './stats.js';

const SAMPLES = Number(process.env.BENCH_TTFT_SAMPLES ?? 200);
const WARMUP = Number(process.env.BENCH_TTFT_WARMUP ?? 20);
const AGENT = 'ttft';
const CONTENT = 'hello from the benchmark';

interface Sample {
  /** first content chunk / first `message` frame, from the request's start */
  readonly ttft: number;
  /** when the model server had the whole request */
  readonly llmAt: number;
  readonly total: number;
}

interface PlatformSample extends Sample {
  /** SSE response headers (the user message is committed) */
  readonly headers: number;
  readonly chatId: string;
  /** wall clock at the start, to compare with the stored events' createdAt */
  readonly wallStart: number;
}

/** Records when each request reached the scripted peer (it logs a request once fully read). */
function arrivalClock(requests: readonly RecordedRequest[]): () => number {
  let last = Number.NaN;
  const log = requests as RecordedRequest[];
  const push = log.push.bind(log);
  log.push = (...items: RecordedRequest[]) => {
    last = performance.now();
    return push(...items);
  };
  return () => last;
}

async function platformSample(p: BenchPlatform, lastArrival: () => number): Promise<PlatformSample> {
  const chatId = await createChat(p, AGENT);
  const wallStart = performance.timeOrigin + performance.now();
  const t0 = performance.now();
  const res = await fetch(`${p.url}/chats/${chatId}/messages/stream`, {
    method: 'POST',
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ content: CONTENT }),
  });
  const headers = performance.now() - t0;
  if (!res.ok || !res.body) throw new Error(`stream: ${res.status} ${await res.text()}`);
  const parser = new SseParser();
  let first: number | undefined;
  let end: string | undefined;
  for await (const chunk of res.body) {
    for (const f of parser.push(chunk as Uint8Array)) {
      if (f.event === 'message' && first === undefined) first = performance.now() - t0;
      if (f.event === 'done' || f.event === 'error') end = `${f.event} ${f.data}`;
    }
  }
  const total = performance.now() - t0;
  if (first === undefined || !end?.includes('completed'))
    throw new Error(`the turn did not stream a reply (ended: ${end ?? 'without done'})`);
  return { ttft: first, llmAt: lastArrival() - t0, total, headers, chatId, wallStart };
}

async function directSample(
  client: OpenAI,
  params: ChatCompletionCreateParamsStreaming,
  lastArrival: () => number,
): Promise<Sample> {
  const t0 = performance.now();
  const stream = await client.chat.completions.create(params);
  let first: number | undefined;
  for await (const chunk of stream) {
    if (first === undefined && chunk.choices[0]?.delta?.content) first = performance.now() - t0;
  }
  const total = performance.now() - t0;
  if (first === undefined) throw new Error('the direct call streamed no content');
  return { ttft: first, llmAt: lastArrival() - t0, total };
}

/** From the stored events: when the user message and the turn start were recorded, after the POST began. */
async function eventTimes(
  store: EventStore,
  s: PlatformSample,
): Promise<{ posted: number; started: number }> {
  const events = await store.readStream(streams.chat(s.chatId));
  const at = (type: string) =>
    (events.find((e) => e.type === type)?.createdAt.getTime() ?? NaN) - s.wallStart;
  return { posted: at('UserMessagePosted'), started: at('TurnStarted') };
}

const ms = (values: readonly number[], p: number) => round(percentile(values, p), 2);

export async function runTtftOverhead(): Promise<void> {
  const llm = await startScriptedLlm();
  const lastArrival = arrivalClock(llm.requests);
  let p: BenchPlatform | undefined;
  try {
    p = await startBenchPlatform();
    await createAgent(p, AGENT, llm.url);
    const client = new OpenAI({ baseURL: llm.url, apiKey: 'none', maxRetries: 0, timeout: 30_000 });
    // the first platform turn shows what the platform asks the model; the direct calls ask the same
    await platformSample(p, lastArrival);
    const asked = llm.requests.at(-1)!;
    const params = { ...asked, stream: true } as ChatCompletionCreateParamsStreaming;
    log(`ttft_overhead: the platform asks the model ${JSON.stringify(asked)}`);

    log(`ttft_overhead: warm-up ${WARMUP} + ${SAMPLES} interleaved samples each`);
    const direct: Sample[] = [];
    const through: PlatformSample[] = [];
    for (let i = 0; i < WARMUP + SAMPLES; i++) {
      const d = await directSample(client, params, lastArrival);
      const s = await platformSample(p, lastArrival);
      if (i % 100 === 0) llm.reset(); // the request log only grows
      if (i < WARMUP) continue;
      direct.push(d);
      through.push(s);
    }
    const store = p.platform.services.eventStore;
    const times = await Promise.all(through.map((s) => eventTimes(store, s)));

    const pTtft = through.map((s) => s.ttft);
    const dTtft = direct.map((s) => s.ttft);
    const p50 = percentile(pTtft, 50);
    const p99 = percentile(pTtft, 99);
    const d50 = percentile(dTtft, 50);
    const d99 = percentile(dTtft, 99);
    // per interleaved pair: platform minus the direct call just before it
    const pairAdded = through.map((s, i) => s.ttft - direct[i]!.ttft);
    emit({
      bench: 'ttft_overhead',
      p50_ms: round(p50, 2),
      p99_ms: round(p99, 2),
      direct_p50_ms: round(d50, 2),
      direct_p99_ms: round(d99, 2),
      added_p50_ms: round(p50 - d50, 2),
      added_p99_ms: round(p99 - d99, 2),
      pair_added_p50_ms: ms(pairAdded, 50),
      pair_added_p99_ms: ms(pairAdded, 99),
      samples: SAMPLES,
      // where the platform's time goes (medians, from the POST's start)
      headers_p50_ms: ms(
        through.map((s) => s.headers),
        50,
      ),
      user_message_recorded_p50_ms: round(median(times.map((t) => t.posted)), 1),
      turn_started_recorded_p50_ms: round(median(times.map((t) => t.started)), 1),
      llm_request_p50_ms: ms(
        through.map((s) => s.llmAt),
        50,
      ),
      llm_request_p99_ms: ms(
        through.map((s) => s.llmAt),
        99,
      ),
      llm_to_frame_p50_ms: ms(
        through.map((s) => s.ttft - s.llmAt),
        50,
      ),
      direct_llm_request_p50_ms: ms(
        direct.map((s) => s.llmAt),
        50,
      ),
      direct_llm_to_chunk_p50_ms: ms(
        direct.map((s) => s.ttft - s.llmAt),
        50,
      ),
      turn_total_p50_ms: ms(
        through.map((s) => s.total),
        50,
      ),
      direct_total_p50_ms: ms(
        direct.map((s) => s.total),
        50,
      ),
      notes:
        'in-process platform (api+worker, Postgres event store, in-process queue and live bus) and the scripted ' +
        'zero-latency OpenAI-compatible peer; fetch for the SSE, the openai client for the direct call; a fresh chat ' +
        'per platform sample; added_* = platform − direct percentiles; pair_added_* = per interleaved pair; ' +
        'llm_request = when the peer had the platform’s request; *_recorded = stored createdAt (ms, DB clock) − POST start',
      target: 'added_p50_ms <= 5, added_p99_ms <= 20',
    });
  } finally {
    await p?.stop();
    await llm.stop();
  }
}
