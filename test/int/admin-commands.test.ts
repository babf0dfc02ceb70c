/**
 * The administrators' command path (src/runtime/admin/admin-commands.ts, admin-follower.ts) on the
 * Postgres event store, with several followers standing for several worker processes, each with a
 * warm pool of its own (test doubles of harness workers that run nothing): every follower applies a
 * command and reports it, a follower started later follows the standing scale, and the API's wait
 * for reports is bounded.
 */
import { expect } from 'chai';
import type pg from 'pg';
import { pino } from 'pino';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { AdminCommands } from '../../src/runtime/admin/admin-commands.js';
import { AdminFollower } from '../../src/runtime/admin/admin-follower.js';
import type { Exchange, HarnessWorker } from '../../src/runtime/functions/runners/harness-channel.js';
import { WarmPool } from '../../src/runtime/functions/runners/warm-pool.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';
import { until } from '../support/until.js';

let count = 0;
class IdleWorker implements HarnessWorker {
  readonly id = `w-${++count}`;
  readonly containerId = null;
  runs = 0;
  alive = true;
  onGone: (() => void) | null = null;
  exchange(): Promise<Exchange> {
    throw new Error('runs nothing');
  }
  explainExit(): Promise<string> {
    return Promise.resolve('a test double');
  }
  kill(): Promise<void> {
    this.alive = false;
    return Promise.resolve();
  }
}

describe('admin commands: one path every worker process follows', function () {
  this.timeout(60_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: PgEventStore;
  const followers: AdminFollower[] = [];
  const pools: WarmPool<IdleWorker>[] = [];
  let live = 0;
  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 4);
    await migrate(pool);
    store = new PgEventStore(pool, db.url);
  });
  after(async () => {
    for (const f of followers) await f.stop();
    for (const p of pools) await p.close();
    await store?.close();
    await pool?.end();
    await db?.drop();
  });

  /** a worker process: its sandbox pool (2 blank workers ready) and its follower */
  const worker = async () => {
    const p = new WarmPool(() => Promise.resolve(new IdleWorker()), {
      min: 2,
      max: 8,
      maxRuns: 100,
      acquireTimeoutMs: 10_000,
    });
    p.warm();
    pools.push(p);
    const f = new AdminFollower({
      store,
      workerId: `worker-${pools.length}`,
      runner: () => ({ poolControl: (name) => (name === 'sandbox' ? p : undefined) }),
      log: pino({ level: 'silent' }),
    });
    await f.start();
    followers.push(f);
    live++;
    return p;
  };
  const commands = (waitMs = 30_000) => new AdminCommands({ store, liveWorkers: async () => live, waitMs });

  it('applies a command in every worker, each reporting what it did', async () => {
    const [a, b] = [await worker(), await worker()];
    await until('both pools warm', () => a.stats().idle === 2 && b.stats().idle === 2);
    const out = await commands().run([{ kind: 'scale', pool: 'sandbox', target: 4 }], 'admin');
    expect(out.waited).to.deep.equal({ workers_expected: 2, workers_applied: 2 });
    expect(out.reports[0]!.map((r) => r.workerId).sort()).to.deep.equal(['worker-1', 'worker-2']);
    for (const r of out.reports[0]!) expect(r.report).to.include({ previous: 2, current: 4, added: 2 });
    await until('four blank workers in each', () => a.stats().blank === 4 && b.stats().blank === 4);

    const shared = await commands().run([{ kind: 'reload', pool: 'shared' }], 'admin');
    for (const r of shared.reports[0]!) expect(r.report).to.deep.equal({ status: 'no_pool', pool: 'shared' });
  });

  it('a worker started later follows the standing scale; a reload before it is not replayed', async () => {
    await commands().run([{ kind: 'reload', pool: 'sandbox' }], 'admin');
    const c = await worker();
    expect(c.view().min).to.equal(4);
    await until('four blank workers in the newcomer', () => c.stats().blank === 4);
    expect(c.stats().recycled).to.equal(0);
  });

  it('waits for the live workers only so long, and says how many reported', async () => {
    live++; // a worker whose heartbeat is seen but who never answers
    try {
      const out = await commands(300).run([{ kind: 'scale', pool: 'sandbox', target: 1 }], 'admin');
      expect(out.waited).to.deep.equal({ workers_expected: 4, workers_applied: 3 });
    } finally {
      live--;
    }
  });
});
