/**
 * `export`: a verifiable NDJSON export of one long chat (GET /api/v1/audit/export?stream=…) —
 * events per second through the hash chain, signing and the socket. `timeline`: GET
 * /chats/{id}/timeline on a chat of a few hundred events (p50/p99 over repeated reads). Both on an
 * in-process platform (SINAS_ROLE=api, Postgres event store); the chats are filled with synthetic
 * message events through the EventStore port, as the resume bench does.
 */
import { performance } from 'node:perf_hooks';
import { verifyExport } from '../src/audit/export-chain.js';
import { emit, log } from './io.js';
import { ADMIN_KEY, createAgent, createChat, startBenchPlatform } from './platform.js';
import { fillChat } from './resume.js';
import { platformProjections } from '../src/runtime/kinds.js';
import { ProjectionRunner } from '../src/projections/runner.js';

/** The read models (not the reactors: the synthetic messages must start no turns), until stopped. */
function startProjections(p: Awaited<ReturnType<typeof startBenchPlatform>>) {
  const runners = platformProjections().map(
    (proj) =>
      new ProjectionRunner(p.platform.services.pool, p.platform.services.eventStore, proj, {
        onError: (err) => log(`projection: ${String(err)}`),
      }),
  );
  for (const r of runners) r.start();
  return () => Promise.all(runners.map((r) => r.stop()));
}
import { median, percentile, round } from './stats.js';

const EXPORT_EVENTS = Number(process.env.BENCH_EXPORT_EVENTS ?? 20_000);
const TIMELINE_EVENTS = Number(process.env.BENCH_TIMELINE_EVENTS ?? 1000);
const RUNS = 5;

export async function runExport(): Promise<void> {
  const p = await startBenchPlatform({ SINAS_ROLE: 'api' });
  const stopProjections = startProjections(p);
  try {
    const store = p.platform.services.eventStore;
    await createAgent(p, 'export');
    const chatId = await createChat(p, 'export');
    log(`export: appending ${EXPORT_EVENTS} events`);
    await fillChat(store, chatId, EXPORT_EVENTS);
    const times: number[] = [];
    let bytes = 0;
    for (let i = 0; i < RUNS + 1; i++) {
      const started = performance.now();
      const res = await fetch(`${p.url}/api/v1/audit/export?stream=chat-${chatId}`, {
        headers: { 'x-api-key': ADMIN_KEY },
      });
      const text = await res.text();
      const ms = performance.now() - started;
      if (i === 0) {
        const verdict = verifyExport(text);
        if (!verdict.ok || verdict.count !== EXPORT_EVENTS + 1)
          throw new Error(`the export did not verify: ${JSON.stringify(verdict)}`);
        continue; // warm-up
      }
      bytes = text.length;
      times.push(ms);
    }
    const ms = median(times);
    emit({
      bench: 'export',
      events: EXPORT_EVENTS + 1,
      per_s: Math.round(((EXPORT_EVENTS + 1) / ms) * 1000),
      median_ms: round(ms, 1),
      mb: round(bytes / 1e6, 1),
      runs: RUNS,
      notes:
        'one chat stream of synthetic message events; whole HTTP response read; the first (verified) run is a warm-up',
    });
  } finally {
    await stopProjections();
    await p.stop();
  }
}

export async function runTimeline(): Promise<void> {
  const p = await startBenchPlatform({ SINAS_ROLE: 'api' });
  const stopProjections = startProjections(p);
  try {
    const store = p.platform.services.eventStore;
    await createAgent(p, 'timeline');
    const chatId = await createChat(p, 'timeline');
    await fillChat(store, chatId, TIMELINE_EVENTS);
    const samples: number[] = [];
    for (let i = 0; i < 110; i++) {
      const started = performance.now();
      const res = await fetch(`${p.url}/chats/${chatId}/timeline?limit=1000`, {
        headers: { 'x-api-key': ADMIN_KEY },
      });
      const body = (await res.json()) as { items: unknown[] };
      const ms = performance.now() - started;
      if (body.items.length < TIMELINE_EVENTS) throw new Error(`the timeline had ${body.items.length} items`);
      if (i >= 10) samples.push(ms);
    }
    emit({
      bench: 'timeline',
      events: TIMELINE_EVENTS + 2,
      p50_ms: round(percentile(samples, 50), 2),
      p99_ms: round(percentile(samples, 99), 2),
      samples: samples.length,
      notes:
        'GET /chats/{id}/timeline?limit=1000 of one chat (its stream plus the agent version it ran); 10 warm-up reads',
    });
  } finally {
    await stopProjections();
    await p.stop();
  }
}
