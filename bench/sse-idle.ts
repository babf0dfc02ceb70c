/**
 * `sse_idle`: the memory of one API process holding N idle SSE streams (GET /chats/{id}/events on a
 * few chats), N = 1,000 then 10,000 (BENCH_SSE_COUNTS). The platform runs as its own process
 * (`node --import tsx src/main.ts`, SINAS_ROLE=api) so its RSS (VmRSS) is measured alone; the
 * clients are raw `http` requests from this process on one keep-alive agent. A stream counts as
 * open once its first event frame (the chat's ChatCreated) arrives, i.e. the server has caught it
 * up and it is following the chat live. Baseline: the process's RSS before any stream opened.
 *
 * Setup (agent and chats) goes through a platform started in this process on the same database,
 * stopped before the measured one starts.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { freshDatabase } from './db.js';
import { emit, errorMessage, log, sleep } from './io.js';
import {
  ADMIN_KEY,
  apiAt,
  createAgent,
  createChat,
  openFileLimit,
  spawnPlatform,
  startBenchPlatform,
  type ChildPlatform,
} from './platform.js';
import { SseParser } from './sse-client.js';
import { round } from './stats.js';

const COUNTS = (process.env.BENCH_SSE_COUNTS ?? '1000,10000').split(',').map(Number);
const CHATS = 10;
const IN_FLIGHT = 100;
const OPEN_BUDGET_MS = Number(process.env.BENCH_SSE_OPEN_MS ?? 40_000);
const SETTLE_MS = 3000;
const AGENT = 'idle';

interface Stream {
  readonly req: http.ClientRequest;
}

/** Opens one stream; resolves once its first event frame arrived. */
function openStream(agent: http.Agent, url: string): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const parser = new SseParser();
    let open = false;
    const req = http.get(url, { agent, headers: { 'x-api-key': ADMIN_KEY } }, (res) => {
      if (res.statusCode !== 200) {
        req.destroy();
        return reject(new Error(`HTTP ${res.statusCode}`));
      }
      res.on('data', (chunk: Buffer) => {
        if (!open && parser.push(chunk).length > 0) {
          open = true;
          resolve({ req });
        }
      });
      res.on('end', () => open || reject(new Error('the stream ended before its first event')));
    });
    req.on('error', (err) => open || reject(err));
  });
}

/** Opens streams until `target` are open, IN_FLIGHT at a time, within the time budget. */
async function openUntil(
  open: Stream[],
  target: number,
  agent: http.Agent,
  urls: readonly string[],
  errors: Map<string, number>,
): Promise<void> {
  const deadline = performance.now() + OPEN_BUDGET_MS;
  let next = open.length;
  let failures = 0;
  const worker = async () => {
    while (next < target && performance.now() < deadline && failures < 100) {
      const i = next++;
      try {
        open.push(await openStream(agent, urls[i % urls.length]!));
      } catch (err) {
        failures++;
        const why = errorMessage(err);
        errors.set(why, (errors.get(why) ?? 0) + 1);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
}

/** RSS once the process has settled, and its CPU use (percent of one core) while it idled. */
async function settled(child: ChildPlatform): Promise<{ rss: number; cpuPct: number }> {
  const c0 = await child.cpuMs();
  await sleep(SETTLE_MS);
  const cpuPct = ((await child.cpuMs()) - c0) / (SETTLE_MS / 100);
  return { rss: await child.rssMb(), cpuPct };
}

export async function runSseIdle(): Promise<void> {
  const db = await freshDatabase(2);
  let child: ChildPlatform | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const open: Stream[] = [];
  try {
    const setup = await startBenchPlatform({}, db);
    const chatIds: string[] = [];
    try {
      await createAgent(setup, AGENT);
      for (let i = 0; i < CHATS; i++) chatIds.push(await createChat(setup, AGENT));
    } finally {
      await setup.stop();
    }

    child = await spawnPlatform(db.url, { SINAS_ROLE: 'api' });
    log(`sse_idle: platform pid ${child.pid} at ${child.url}`);
    const urls = chatIds.map((id) => `${child!.url}/chats/${id}/events`);
    // warm the process up: one request of each kind it will serve, then back to idle
    await apiAt(child.url).json('/health');
    (await openStream(agent, urls[0]!)).req.destroy();
    const { rss: baseline } = await settled(child);
    log(`sse_idle: baseline RSS ${baseline.toFixed(1)} MB`);

    const errors = new Map<string, number>();
    const fdLimit = await openFileLimit();
    for (const target of COUNTS) {
      if (fdLimit < target + 200)
        log(
          `sse_idle: the open-file limit (${fdLimit}) is below ${target} streams plus margin; expect EMFILE`,
        );
      const t0 = performance.now();
      await openUntil(open, target, agent, urls, errors);
      const openedIn = performance.now() - t0;
      const { rss, cpuPct } = await settled(child);
      const reached = open.length;
      log(`sse_idle: ${reached} streams open (${(openedIn / 1000).toFixed(1)} s), RSS ${rss.toFixed(1)} MB`);
      emit({
        bench: 'sse_idle',
        streams: reached,
        rss_mb: round(rss, 1),
        baseline_rss_mb: round(baseline, 1),
        peak_rss_mb: round(await child.rssMb('VmHWM'), 1),
        per_stream_kb: round(((rss - baseline) * 1024) / Math.max(1, reached), 1),
        open_per_s: round(reached / (openedIn / 1000), 0),
        idle_cpu_pct: round(cpuPct, 1),
        ...(reached < target
          ? {
              wanted: target,
              why: errors.size
                ? [...errors].map(([why, n]) => `${n}× ${why}`).join('; ')
                : `only ${reached} opened within ${OPEN_BUDGET_MS / 1000} s`,
              fd_limit: fdLimit,
            }
          : {}),
        notes:
          'platform as a child process (node --import tsx src/main.ts, SINAS_ROLE=api, Postgres event store); ' +
          `streams = GET /chats/{id}/events on ${CHATS} chats, each counted once its first frame arrived; ` +
          `rss = VmRSS ${SETTLE_MS / 1000} s after the last opened; baseline = VmRSS after start-up and one stream; ` +
          'idle_cpu_pct = its CPU use (of one core) over those seconds',
        target: '10000 streams: rss_mb < 1024',
      });
      if (reached < target) break;
    }
  } finally {
    for (const s of open) s.req.destroy();
    agent.destroy();
    await child?.stop();
    await db.drop();
  }
}
