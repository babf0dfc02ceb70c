/**
 * `resume`: a client reconnects to a long chat from its start — GET /chats/{id}/events?after=0 on a
 * chat of ~1,000 events — and we time the first event frame's arrival and the last one's, against
 * reading the same events straight from the store (store.readStream, same process, same pool).
 * Runs interleave (raw read, SSE, raw read, ...); medians over the runs.
 *
 * The chat is created through the API, then filled by appending synthetic events through the
 * EventStore port: turns of UserMessagePosted, TurnStarted and AssistantMessageCompleted, whose
 * delta channels were never written (as for turns whose deltas expired long ago). The platform runs as
 * SINAS_ROLE=api so no worker tries to run those turns; this bench runs the projections itself
 * until the chat rows exist, then stops them, so nothing else works during the measurement, and
 * ANALYZEs the event tables (as autovacuum would on a live database) so both reads get settled plans.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { ChatEvent } from '../src/events/chat-events.js';
import type { EventStore, NewEvent } from '../src/events/event-store.js';
import { streams } from '../src/events/stream-names.js';
import { durableFrame } from '../src/runtime/chat-feed/chat-frames.js';
import { chatsProjection } from '../src/projections/chats.js';
import { platformProjections } from '../src/runtime/kinds.js';
import { ProjectionRunner } from '../src/projections/runner.js';
import { emit, log, sleep } from './io.js';
import { ADMIN_KEY, createAgent, createChat, startBenchPlatform } from './platform.js';
import { median, round } from './stats.js';

const EVENTS = Number(process.env.BENCH_RESUME_EVENTS ?? 1000);
const RUNS = Number(process.env.BENCH_RESUME_RUNS ?? 60);
const WARMUP = 10;
const AGENT = 'resume';
const BATCH = 100;

type Data<T extends ChatEvent['type']> = Extract<ChatEvent, { type: T }>['data'];

/** `n` events after ChatCreated: turns of a user message, the turn's start and the assistant's reply. */
export function conversation(n: number, actor: string): NewEvent[] {
  const out: NewEvent[] = [];
  const meta = () => {
    const commandId = randomUUID();
    return { correlationId: commandId, causationId: commandId, actor, commandId, version: 1 };
  };
  for (let i = 0; out.length < n; i++) {
    const turnId = randomUUID();
    const at = new Date().toISOString();
    const posted: Data<'UserMessagePosted'> = {
      messageId: randomUUID(),
      turnId,
      content: `Question ${i}: ${'what about this part of the plan? '.repeat(3)}`,
      at,
    };
    out.push({ id: randomUUID(), type: 'UserMessagePosted', data: posted, metadata: meta() });
    if (out.length >= n) break;
    const started: Data<'TurnStarted'> = {
      turnId,
      attempt: 1,
      model: 'bench-model',
      provider: 'bench',
      agentVersion: 1,
      at,
    };
    out.push({ id: randomUUID(), type: 'TurnStarted', data: started, metadata: meta() });
    if (out.length >= n) break;
    const reply: Data<'AssistantMessageCompleted'> = {
      messageId: randomUUID(),
      turnId,
      attempt: 1,
      content: `Answer ${i}: ${'Here is a considered reply with a few details in it. '.repeat(8)}`,
      toolCalls: [],
      usage: { prompt_tokens: 40, completion_tokens: 80, total_tokens: 120 },
      model: 'bench-model',
      agentVersion: 1,
      finishReason: 'stop',
      at,
    };
    out.push({ id: randomUUID(), type: 'AssistantMessageCompleted', data: reply, metadata: meta() });
  }
  return out;
}

interface Replay {
  readonly headers: number;
  readonly firstFrame: number;
  readonly last: number;
  readonly frames: number;
}

/**
 * GET /events?after=0 until the frame with id `lastId`; times from the request's start. The client
 * shares the event loop with the platform, so it stays cheap: it scans the received bytes for frame
 * starts and the last frame's id, without making strings of them or parsing frames.
 */
function replay(url: string, lastId: string): Promise<Replay> {
  const frameStart = 'event: ';
  const lastFrame = `\nid: ${lastId}\n`;
  const carry = lastFrame.length - 1;
  /** occurrences of `needle` in `text` */
  const count = (text: string, needle: string) => {
    let n = 0;
    for (let i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length)) n++;
    return n;
  };
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let headers = NaN;
    let firstFrame = NaN;
    let frames = 0;
    let tail = '';
    const req = http.get(url, { headers: { 'x-api-key': ADMIN_KEY }, agent: false }, (res) => {
      headers = performance.now() - t0;
      if (res.statusCode !== 200) {
        req.destroy();
        return reject(new Error(`GET events: ${res.statusCode}`));
      }
      res.on('data', (chunk: Buffer) => {
        const now = performance.now() - t0;
        const text = chunk.toString('latin1');
        // a marker split between chunks lies in the seam: the last chunk's end and this one's start
        const head = text.slice(0, carry);
        const seam = tail + head;
        const straddling = count(seam, frameStart) - count(tail, frameStart) - count(head, frameStart);
        frames += count(text, frameStart) + straddling;
        if (frames > 0 && Number.isNaN(firstFrame)) firstFrame = now;
        if (text.includes(lastFrame) || seam.includes(lastFrame)) {
          req.destroy();
          resolve({ headers, firstFrame, last: now, frames });
        }
        tail = text.length >= carry ? text.slice(-carry) : (tail + text).slice(-carry);
      });
    });
    req.on('error', (err) => reject(err));
    req.setTimeout(30_000, () => req.destroy(new Error('timed out waiting for the last event')));
  });
}

/**
 * The baseline: the same events straight from the store. Also times turning them into frames the
 * way the stream does (durableFrame + JSON), the CPU part of sending them. Keeps nothing alive.
 */
async function rawRead(store: EventStore, stream: string): Promise<{ raw: number; frames: number }> {
  const t0 = performance.now();
  const read = await store.readStream(stream, { fromRevision: 1n });
  const raw = performance.now() - t0;
  if (read.length !== EVENTS) throw new Error(`raw read got ${read.length} events, not ${EVENTS}`);
  const t1 = performance.now();
  let bytes = 0;
  for (const e of read) bytes += JSON.stringify(durableFrame(e).data).length;
  return { raw, frames: bytes > 0 ? performance.now() - t1 : NaN };
}

export async function fillChat(store: EventStore, chatId: string, n = EVENTS): Promise<bigint> {
  const stream = streams.chat(chatId);
  const [created] = await store.readStream(stream, { maxCount: 1 });
  const userId = (created!.data as unknown as Data<'ChatCreated'>).userId;
  const events = conversation(n, userId);
  let revision = 0n;
  let position = 0n;
  for (let i = 0; i < events.length; i += BATCH) {
    const r = await store.append(stream, events.slice(i, i + BATCH), revision);
    revision = r.nextExpectedRevision;
    position = r.position;
  }
  return position;
}

export async function runResume(): Promise<void> {
  const p = await startBenchPlatform({ SINAS_ROLE: 'api' });
  const pool = p.platform.services.pool;
  const store = p.platform.services.eventStore;
  const runners = platformProjections().map(
    (proj) =>
      new ProjectionRunner(pool, store, proj, { onError: (err) => log(`projection: ${String(err)}`) }),
  );
  try {
    for (const r of runners) r.start();
    await createAgent(p, AGENT);
    const chatId = await createChat(p, AGENT);
    log(`resume: appending ${EVENTS} events to chat ${chatId}`);
    const head = await fillChat(store, chatId);
    const chats = runners.find((r) => r.projection.name === chatsProjection.name)!;
    for (let waited = 0; chats.position < head; waited += 20) {
      if (waited > 30_000) throw new Error('the chats projection did not catch up in 30 s');
      await sleep(20);
    }
    await Promise.all(runners.map((r) => r.stop()));
    // statistics, as autovacuum gathers them on a live database: both reads then get settled plans
    await pool.query('ANALYZE es_events, es_streams');

    const stream = streams.chat(chatId);
    const lastId = String(await store.streamRevision(stream));
    const url = `${p.url}/chats/${chatId}/events?after=0`;
    const raws: number[] = [];
    const builds: number[] = [];
    const replays: Replay[] = [];
    log(`resume: ${WARMUP} warm-up + ${RUNS} runs, each a raw read then a replay`);
    for (let i = 0; i < WARMUP + RUNS; i++) {
      await sleep(20); // the server finishes closing the last stream
      const { raw, frames } = await rawRead(store, stream);
      await sleep(20); // a GC the read's garbage triggers runs here, not in the replay (and the other way round)
      const r = await replay(url, lastId);
      if (r.frames !== EVENTS) throw new Error(`the replay sent ${r.frames} frames, not ${EVENTS}`);
      if (i < WARMUP) continue;
      raws.push(raw);
      builds.push(frames);
      replays.push(r);
    }
    const raw = median(raws);
    const last = median(replays.map((r) => r.last));
    const first = median(replays.map((r) => r.firstFrame));
    emit({
      bench: 'resume',
      events: EVENTS,
      first_byte_ms: round(first, 2),
      last_ms: round(last, 2),
      raw_read_ms: round(raw, 2),
      ratio_last_raw: round(last / raw, 2),
      headers_ms: round(median(replays.map((r) => r.headers)), 2),
      frame_build_ms: round(median(builds), 2),
      first_byte_max_ms: round(Math.max(...replays.map((r) => r.firstFrame)), 2),
      last_max_ms: round(Math.max(...replays.map((r) => r.last)), 2),
      runs: RUNS,
      notes:
        'medians; in-process platform (SINAS_ROLE=api, Postgres event store); chat = ChatCreated + ' +
        `${EVENTS} synthetic events in turns of user message, turn start, reply (SSE frames ~0.35/0.2/0.85 KB; the turns' delta channels gone), ANALYZEd after loading; first_byte = first event frame ` +
        '(after the retry: preamble) from the GET’s start; raw_read = store.readStream of the same events; ' +
        'frame_build_ms = durableFrame + JSON.stringify of those events in this process (no socket)',
      target: 'first_byte_ms <= 20, last_ms <= 1.5 × raw_read_ms',
    });
  } finally {
    await Promise.all(runners.map((r) => r.stop()));
    await p.stop();
  }
}
