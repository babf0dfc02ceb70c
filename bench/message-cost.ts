/**
 * `message_cost`: what one posted message costs the platform — database queries and CPU time — with
 * every projection and reactor running (in-process api+worker, the built-in development model, one
 * turn per message: POST /chats/{id}/messages answers once the reply is recorded). Measured with
 * today's kinds, and again with 20 extra synthetic kinds' read models running (resource projections
 * of categories no message touches), in alternating rounds on the same platform, so growth = extra ÷
 * base shows what an added kind costs a message.
 *
 * Queries are counted in this process at `pg.Client.prototype.query` (bench/query-counter.ts): every
 * pool, checked-out client, LISTEN connection, tail reader, runner, reactor, the turn worker and the
 * POST's own reads end there. A round ends when no query has been sent for a while, so work the
 * messages set off after their responses (projections catching up) is counted too. CPU time is
 * `process.cpuUsage()` over a round (this process: platform and the bench's HTTP client alike).
 * A separate round with stack attribution on says which code sent how many queries.
 */
import type { ResourceKind } from '../src/commands/resource/resource-kind.js';
import { platformProjections } from '../src/runtime/kinds.js';
import { resourceProjection } from '../src/projections/resources.js';
import { ProjectionRunner } from '../src/projections/runner.js';
import { emit, log, sleep } from './io.js';
import { ADMIN_KEY, createAgent, createChat, startBenchPlatform, type BenchPlatform } from './platform.js';
import { installQueryCounter, type QueryCounter } from './query-counter.js';
import { median, round } from './stats.js';

const MESSAGES = Number(process.env.BENCH_MESSAGE_COST_MESSAGES ?? 40);
const ROUNDS = Number(process.env.BENCH_MESSAGE_COST_ROUNDS ?? 3);
const EXTRA_KINDS = 20;
const AGENT = 'cost';
/** a round is over once this long passes without a query */
const QUIET_MS = 300;

interface Round {
  readonly queries: number;
  readonly cpuMs: number;
}

async function postMessage(p: BenchPlatform, chatId: string, i: number): Promise<void> {
  const res = await fetch(`${p.url}/chats/${chatId}/messages`, {
    method: 'POST',
    headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ content: `message ${i}` }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST message: ${res.status} ${text}`);
}

/** Waits until no query has been sent for QUIET_MS. */
async function settle(counter: QueryCounter): Promise<void> {
  let seen = counter.total;
  let quietSince = Date.now();
  while (Date.now() - quietSince < QUIET_MS) {
    await sleep(25);
    if (counter.total !== seen) {
      seen = counter.total;
      quietSince = Date.now();
    }
  }
}

async function round_(p: BenchPlatform, counter: QueryCounter, chatId: string, n: number): Promise<Round> {
  await settle(counter);
  const q0 = counter.total;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) await postMessage(p, chatId, i);
  await settle(counter);
  const cpu = process.cpuUsage(cpu0);
  return { queries: counter.total - q0, cpuMs: (cpu.user + cpu.system) / 1000 };
}

/** A configuration kind no message touches: its own category, table and routes' names. */
function syntheticKind(i: number): ResourceKind {
  return {
    type: `Synthetic${i}`,
    category: `synthetic${i}`,
    table: `synthetic_${i}`,
    path: `synthetic-${i}`,
    resource: `synthetic_${i}`,
    fields: {},
    namespacePattern: '^[a-z]+$',
    namePattern: '^[a-z]+$',
    nameMaxLength: 64,
  };
}

/** The extra kinds' read models, run the way the worker runs every projection. */
function startExtraKinds(p: BenchPlatform): ProjectionRunner[] {
  const pool = p.platform.services.pool;
  const store = p.platform.services.eventStore;
  return Array.from({ length: EXTRA_KINDS }, (_, i) => {
    const runner = new ProjectionRunner(pool, store, resourceProjection(syntheticKind(i)));
    runner.start();
    return runner;
  });
}

/** Queries per message by source, most first, for a round with attribution on. */
async function breakdown(
  p: BenchPlatform,
  counter: QueryCounter,
  chatId: string,
  n: number,
): Promise<Record<string, number | null>> {
  await settle(counter);
  counter.resetSources();
  counter.attribute = true;
  try {
    await round_(p, counter, chatId, n);
  } finally {
    counter.attribute = false;
  }
  const entries = [...counter.bySource].sort((a, b) => b[1] - a[1]);
  return Object.fromEntries(entries.map(([k, v]) => [k, round(v / n, 2)]));
}

export async function runMessageCost(): Promise<void> {
  const counter = installQueryCounter();
  let p: BenchPlatform | undefined;
  let extra: ProjectionRunner[] = [];
  try {
    p = await startBenchPlatform();
    await createAgent(p, AGENT);
    const chatId = await createChat(p, AGENT);
    log(`message_cost: warm-up, then ${ROUNDS} × (${MESSAGES} messages base, ${MESSAGES} with extra kinds)`);
    await round_(p, counter, chatId, 10);
    const base: Round[] = [];
    const withExtra: Round[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      base.push(await round_(p, counter, chatId, MESSAGES));
      extra = startExtraKinds(p);
      withExtra.push(await round_(p, counter, chatId, MESSAGES));
      await Promise.all(extra.map((x) => x.stop()));
      extra = [];
    }
    const sources = await breakdown(p, counter, chatId, 20);
    extra = startExtraKinds(p);
    const sourcesExtra = await breakdown(p, counter, chatId, 20);

    const per = (rounds: Round[], f: (r: Round) => number) => median(rounds.map((r) => f(r) / MESSAGES));
    const q = per(base, (r) => r.queries);
    const qExtra = per(withExtra, (r) => r.queries);
    emit({
      bench: 'message_cost',
      // the read models the worker runs today (agents, LLM providers, functions, chats, ...)
      kinds: platformProjections().length,
      queries_per_message: round(q, 2),
      cpu_ms_per_message: round(
        per(base, (r) => r.cpuMs),
        2,
      ),
      extra_kinds: EXTRA_KINDS,
      queries_per_message_extra: round(qExtra, 2),
      cpu_ms_per_message_extra: round(
        per(withExtra, (r) => r.cpuMs),
        2,
      ),
      growth: round(qExtra / q, 3),
      cpu_growth: round(per(withExtra, (r) => r.cpuMs) / per(base, (r) => r.cpuMs), 3),
      messages: MESSAGES,
      rounds: ROUNDS,
      sources,
      sources_extra: sourcesExtra,
      notes:
        'in-process platform (api+worker, Postgres event store, in-process queue), development model, one chat, ' +
        'sequential POST /chats/{id}/messages; queries counted at pg.Client.prototype.query in this process (all ' +
        'pools and clients); a round ends after 300 ms without a query; medians over rounds; cpu = process.cpuUsage ' +
        '(platform + bench client); kinds = read models running besides the reactors; sources: queries per message ' +
        'by sending code (a separate round with stack attribution; [name] = the projection a checkpoint statement names)',
      target: 'queries_per_message <= 10, growth <= 1.1',
    });
  } finally {
    await Promise.all(extra.map((x) => x.stop()));
    await p?.stop();
    counter.uninstall();
  }
}
