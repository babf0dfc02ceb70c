/**
 * The keyed warm pool, on its own test doubles (workers that run nothing): a blank worker goes to any
 * key and then belongs to it, a used one only ever serves its own key, the least recently used idle one
 * of another key makes room, and hits and misses say whether a worker was ready.
 */
import { expect } from 'chai';
import type { Exchange, HarnessWorker } from '../../src/runtime/functions/runners/harness-channel.js';
import { WarmPool, type PoolOptions } from '../../src/runtime/functions/runners/warm-pool.js';

class FakeWorker implements HarnessWorker {
  private static count = 0;
  readonly id = `fake-${++FakeWorker.count}`;
  readonly containerId = null;
  runs = 0;
  alive = true;
  onGone: (() => void) | null = null;

  exchange(): Promise<Exchange> {
    throw new Error('the pool never runs code');
  }

  explainExit(): Promise<string> {
    return Promise.resolve('a test double');
  }

  kill(): Promise<void> {
    this.alive = false;
    return Promise.resolve();
  }
}

/** Lets started workers arrive: each start resolves at once, so one turn of the event loop settles them. */
const settle = () => new Promise((r) => setImmediate(r));

describe('WarmPool (keyed by isolation key)', () => {
  let pool: WarmPool<FakeWorker>;
  const make = (opts: Partial<PoolOptions>) => {
    pool = new WarmPool(() => Promise.resolve(new FakeWorker()), {
      min: 0,
      max: 4,
      maxRuns: 100,
      acquireTimeoutMs: 60_000,
      ...opts,
    });
    pool.warm();
    return pool;
  };
  /** acquires for `key`, counts a run, and hands the worker back */
  const use = async (key: string) => {
    const { worker, hit } = await pool.acquire(key);
    worker.runs++;
    pool.release(worker, true);
    await settle();
    return { worker, hit };
  };
  afterEach(() => pool.close());

  it('keeps `min` blank workers ready, and a blank one serves any key as a hit', async () => {
    make({ min: 2 });
    await settle();
    expect(pool.stats()).to.include({ blank: 2, idle: 2, size: 2 });
    const a = await use('alice');
    const b = await use('bob');
    expect(a.hit && b.hit).to.equal(true);
    expect(b.worker).to.not.equal(a.worker);
    expect(pool.stats()).to.include({ hits: 2, misses: 0, blank: 2, size: 4 });
  });

  it('lists its workers, idle and in use, with their runs and its limits (the admin view)', async () => {
    make({ min: 1, max: 3, maxRuns: 7 });
    await settle();
    const before = Date.now();
    const held = await pool.acquire('alice');
    held.worker.runs++;
    await settle();
    const view = pool.view();
    expect(view).to.include({ min: 1, max: 3, maxRuns: 7 });
    expect(view.members.map((m) => [m.id === held.worker.id, m.state, m.runs])).to.have.deep.members([
      [true, 'in_use', 1],
      [false, 'idle', 0],
    ]);
    expect(view.members.every((m) => m.startedAt <= Date.now() && m.startedAt >= before - 60_000)).to.equal(
      true,
    );
    pool.release(held.worker, true);
    expect(pool.view().members.every((m) => m.state === 'idle')).to.equal(true);
  });

  it('reuses an idle worker of the same key, and never hands it to another key', async () => {
    make({ min: 0, max: 3 });
    const first = await use('alice');
    expect(first.hit).to.equal(false); // nothing was ready
    const bob = await use('bob');
    expect(bob.worker).to.not.equal(first.worker);
    const again = await use('alice');
    expect(again).to.deep.equal({ worker: first.worker, hit: true });
    // alice's worker busy: a second run of alice gets a new worker, not bob's idle one
    const held = await pool.acquire('alice');
    const second = await pool.acquire('alice');
    expect([first.worker, bob.worker]).to.not.include(second.worker);
    pool.release(held.worker, true);
    pool.release(second.worker, true);
    expect(pool.stats()).to.include({ hits: 2, misses: 3 });
  });

  it('when full, retires the least recently used idle worker of another key to make room', async () => {
    make({ min: 0, max: 3 });
    const a = await use('alice');
    const b = await use('bob');
    const c = await use('carol');
    await use('alice'); // bob's is now the least recently used
    const d = await use('dave');
    expect(b.worker.alive).to.equal(false);
    expect([a.worker.alive, c.worker.alive, d.worker.alive]).to.deep.equal([true, true, true]);
    expect([a.worker, c.worker]).to.not.include(d.worker);
    expect(pool.stats()).to.include({ size: 3, evicted: 1 });
  });

  it('never retires a busy worker; a key waits, and a worker another key releases is retired, not handed over', async () => {
    make({ min: 0, max: 1 });
    const held = await pool.acquire('alice');
    const waiting = pool.acquire('bob');
    await settle();
    expect(held.worker.alive).to.equal(true);
    held.worker.runs++;
    pool.release(held.worker, true);
    const got = await waiting;
    expect(got).to.include({ hit: false });
    expect(got.worker).to.not.equal(held.worker);
    expect(held.worker.alive).to.equal(false);
    pool.release(got.worker, true);
  });

  it('a waiter gets the worker its own key releases when the pool cannot grow', async () => {
    make({ min: 0, max: 1 });
    const held = await pool.acquire('alice');
    const waiting = pool.acquire('alice');
    await settle();
    held.worker.runs++;
    pool.release(held.worker, true);
    expect((await waiting).worker).to.equal(held.worker);
    pool.release(held.worker, true);
  });

  it('keeping blank workers ready never retires a warm worker', async () => {
    make({ min: 1, max: 2 });
    await settle();
    const a = await use('alice');
    const b = await use('bob');
    expect(pool.stats()).to.include({ size: 2, blank: 0, idle: 2, evicted: 0 });
    expect(a.worker.alive && b.worker.alive).to.equal(true);
  });

  it('replaces a worker whose run budget is spent, or that the runner calls tainted', async () => {
    make({ min: 0, max: 2, maxRuns: 2 });
    const first = await use('alice');
    expect((await use('alice')).worker).to.equal(first.worker);
    expect(first.worker.alive).to.equal(false); // two runs: retired on release
    const next = await pool.acquire('alice');
    expect(next.worker).to.not.equal(first.worker);
    pool.release(next.worker, false);
    expect(next.worker.alive).to.equal(false);
  });

  it('forgets an idle worker whose process ends', async () => {
    make({ min: 0, max: 2 });
    const a = await use('alice');
    a.worker.alive = false;
    a.worker.onGone?.();
    const again = await pool.acquire('alice');
    expect(again).to.include({ hit: false });
    expect(again.worker).to.not.equal(a.worker);
    pool.release(again.worker, true);
  });

  it("resizes to an administrator's target: blank workers kept ready, idle ones beyond it retired, busy ones kept", async () => {
    make({ min: 2, max: 4 });
    await settle();
    const held = await pool.acquire('alice');
    await settle(); // a blank one replaces the one taken
    expect(pool.resize(0)).to.deep.equal({ previous: 3, current: 1, added: 0, removed: 2 });
    await settle();
    expect(pool.stats()).to.include({ size: 1, busy: 1, idle: 0 });
    expect(pool.view().min).to.equal(0);
    pool.release(held.worker, true);
    await settle();
    expect(pool.stats()).to.include({ size: 1, idle: 1 }); // a used one stays for its key
    expect(pool.resize(9)).to.deep.equal({ previous: 1, current: 4, added: 3, removed: 0 }); // capped at max
    await settle();
    expect(pool.stats()).to.include({ size: 4, blank: 3 });
  });

  it('recycles its idle workers: each is replaced by a fresh one, busy ones finish first', async () => {
    make({ min: 2, max: 4 });
    await settle();
    const held = await pool.acquire('alice');
    await settle();
    const idleBefore = pool
      .view()
      .members.filter((m) => m.state === 'idle')
      .map((m) => m.id);
    expect(pool.recycleIdle()).to.deep.equal({ idle_containers: 2 });
    await settle();
    const after = pool.view().members;
    expect(after.filter((m) => m.state === 'idle').map((m) => m.id))
      .to.have.length(2)
      .and.not.include.members(idleBefore);
    expect(after.find((m) => m.state === 'in_use')?.id).to.equal(held.worker.id);
    pool.release(held.worker, true);
  });
});
