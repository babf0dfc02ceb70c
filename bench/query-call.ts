/**
 * `query_call`: what running a saved query through the platform adds over running the same SQL
 * with `pg` directly on a warm pool of the same database. Two platform paths, each interleaved
 * with the direct call: the query tool family's `run` (what a chat's tool call costs: permission
 * read, query lookup, binding, one transaction with its statement timeout, serialisation) and the
 * HTTP execute endpoint (authentication, the same, and the run's QueryExecuted event). Targets:
 * added p50 ≤ 2 ms, p99 ≤ 10 ms.
 */
import { performance } from 'node:perf_hooks';
import { pino } from 'pino';
import { queryFamilyOn } from '../src/runtime/queries/query-wiring.js';
import { asChatId } from '../src/commands/ids.js';
import { benchPool, freshDatabase } from './db.js';
import { emit, log } from './io.js';
import { ADMIN_KEY, startBenchPlatform } from './platform.js';
import { interleaved, percentile, round } from './stats.js';

const SAMPLES = Number(process.env.BENCH_QUERY_SAMPLES ?? 500);
const WARMUP = Number(process.env.BENCH_QUERY_WARMUP ?? 50);
const SQL = 'SELECT id, v FROM items WHERE owner = :owner ORDER BY id LIMIT 10';
const DIRECT_SQL = 'SELECT id, v FROM items WHERE owner = $1 ORDER BY id LIMIT 10';

const timed = async (fn: () => Promise<unknown>) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

export async function runQueryCall(): Promise<void> {
  const p = await startBenchPlatform();
  const target = await freshDatabase(2);
  try {
    await target.pool.query(`CREATE TABLE items (id int PRIMARY KEY, owner text NOT NULL, v text NOT NULL);
      INSERT INTO items SELECT g, 'o' || (g % 100), 'value ' || g FROM generate_series(1, 10000) g;
      CREATE INDEX ON items (owner, id); ANALYZE items;`);
    const u = new URL(target.url);
    const conn = await p.json('/api/v1/database-connections', {
      method: 'POST',
      json: {
        name: 'bench',
        connection_type: 'postgresql',
        host: u.searchParams.get('host') ?? u.hostname,
        port: Number(u.port || 5432),
        database: u.pathname.slice(1),
        username: decodeURIComponent(u.username),
        password: decodeURIComponent(u.password) || 'unused',
      },
    });
    await p.json('/api/v1/queries', {
      method: 'POST',
      json: {
        namespace: 'bench',
        name: 'by_owner',
        database_connection_id: conn.id,
        operation: 'read',
        sql: SQL,
      },
    });
    const me = await p.json('/auth/me');
    const s = p.platform.services;
    const family = queryFamilyOn({
      queries: s.kinds.queries!,
      dataSources: s.dataSources,
      store: s.eventStore,
      identity: s.queries.identity,
      log: pino({ level: 'silent' }),
    });
    const chat = {
      chatId: asChatId('00000000-0000-4000-8000-000000000001'),
      userId: me.id as string,
      input: {},
      agent: { namespace: 'bench', name: 'a' },
      agentSpec: { enabled_queries: ['bench/by_owner'] },
    };
    const [tool] = await family.offer(chat);
    const direct = benchPool(target.url, 2);
    let n = 0;
    const owner = () => `o${n++ % 100}`;
    const viaDirect = () => timed(() => direct.query(DIRECT_SQL, [owner()]));
    const viaFamily = () =>
      timed(async () => {
        const out = await family.run(
          {
            toolCallId: 'b',
            target: tool!.target,
            arguments: { owner: owner() },
            signal: new AbortController().signal,
          },
          chat,
        );
        if (out.status !== 'ok') throw new Error(`query_call: ${JSON.stringify(out.result)}`);
      });
    const viaHttp = () =>
      timed(async () => {
        const res = await fetch(`${p.url}/queries/bench/by_owner/execute`, {
          method: 'POST',
          headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
          body: JSON.stringify({ input: { owner: owner() } }),
        });
        if (res.status !== 200) throw new Error(`query_call: HTTP ${res.status} ${await res.text()}`);
      });
    log(`query_call: ${SAMPLES} samples per path`);
    const f = await interleaved(viaFamily, viaDirect, WARMUP, SAMPLES);
    const h = await interleaved(viaHttp, viaDirect, WARMUP, SAMPLES);
    await direct.end();
    const added = (a: number[], b: number[], q: number) => round(percentile(a, q) - percentile(b, q), 2);
    emit({
      bench: 'query_call',
      samples: SAMPLES,
      direct_p50_ms: round(percentile(f.b, 50), 2),
      direct_p99_ms: round(percentile(f.b, 99), 2),
      family_p50_ms: round(percentile(f.a, 50), 2),
      family_added_p50_ms: added(f.a, f.b, 50),
      family_added_p99_ms: added(f.a, f.b, 99),
      http_p50_ms: round(percentile(h.a, 50), 2),
      http_added_p50_ms: added(h.a, h.b, 50),
      http_added_p99_ms: added(h.a, h.b, 99),
      target_added_p50_ms: 2,
      target_added_p99_ms: 10,
    });
  } finally {
    await target.drop();
    await p.stop();
  }
}
