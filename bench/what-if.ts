/**
 * `what_if`: recorded turns replayed per second against the zero-latency development model. Records
 * CHATS chats of TURNS user turns each (untimed), then starts a what-if run of the unchanged agent
 * over all of them and times it from the POST until its SSE stream says it completed (the job reads
 * the chats, replays each turn through the model client, records one report per chat). Repeated
 * RUNS times; the median run is reported. Every run must report 0 differences.
 */
import { performance } from 'node:perf_hooks';
import { emit, log } from './io.js';
import { ADMIN_KEY, createAgent, createChat, startBenchPlatform, type BenchPlatform } from './platform.js';
import { percentile, round } from './stats.js';

const CHATS = Number(process.env.BENCH_WHATIF_CHATS ?? 50);
const TURNS = Number(process.env.BENCH_WHATIF_TURNS ?? 4);
const RUNS = Number(process.env.BENCH_WHATIF_RUNS ?? 3);

async function post(p: BenchPlatform, path: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${p.url}${path}`, {
    method: 'POST',
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** One replay of every recorded chat: seconds from the POST until the stream says completed. */
async function replay(p: BenchPlatform): Promise<{ seconds: number; turns: number; differences: number }> {
  const t0 = performance.now();
  const run = await post(p, '/api/v1/agents/bench/replayed/what-if', { filter: { count: CHATS } });
  const base = `${p.url}/api/v1/agents/bench/replayed/what-if/${run.run_id as string}`;
  const sse = await (await fetch(`${base}/stream`, { headers: { 'x-api-key': ADMIN_KEY } })).text();
  const seconds = (performance.now() - t0) / 1000;
  if (!/^event: completed$/m.test(sse)) throw new Error(`the run did not complete: ${sse.slice(-500)}`);
  const done = (await (await fetch(base, { headers: { 'x-api-key': ADMIN_KEY } })).json()) as {
    done: number;
    differences: number;
  };
  return { seconds, turns: done.done, differences: done.differences };
}

export async function runWhatIf(): Promise<void> {
  const p = await startBenchPlatform();
  try {
    await createAgent(p, 'replayed');
    log(`what_if: recording ${CHATS} chats x ${TURNS} turns`);
    for (let c = 0; c < CHATS; c++) {
      const chatId = await createChat(p, 'replayed');
      for (let i = 0; i < TURNS; i++)
        await post(p, `/chats/${chatId}/messages`, { content: `turn ${i} of ${c}` });
    }
    const runs = [];
    for (let r = 0; r < RUNS; r++) runs.push(await replay(p));
    const rates = runs.map((r) => r.turns / r.seconds);
    emit({
      bench: 'what_if',
      turns: runs[0]!.turns,
      per_s: round(percentile(rates, 50), 1),
      per_s_best: round(Math.max(...rates), 1),
      differences: Math.max(...runs.map((r) => r.differences)),
      runs: RUNS,
      notes:
        'in-process platform (api+worker, Postgres event store, in-process queue), development model over loopback HTTP; ' +
        'a run = POST what-if of the unchanged agent over every recorded chat until its SSE stream says completed; median of runs',
      target: 'per_s >= 200',
    });
  } finally {
    await p.stop();
  }
}
