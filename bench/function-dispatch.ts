/**
 * Function runner benchmarks (the runner createFunctionRunner picks: Docker when DOCKER_HOST reaches a
 * daemon with the image, else bubblewrap, else subprocess).
 * - `function_dispatch`: a trivial handler through the warm pool, against the same request sent straight
 *   to an already-running plain harness process on the host (the direct baseline); interleaved samples.
 * - `function_cold`: a pool miss: start a fresh sandbox, then run (the pool keeps nothing warm).
 * - `function_pool`: runs/s with the pool saturated (twice as many clients as workers), the pool
 *   hit ratio under a steady load below the pool size, and (bench/function-mix.ts) the hit ratio with
 *   the default pool sizes under a mix of 5 users × 3 functions.
 */
import { performance } from 'node:perf_hooks';
import type { FunctionRunner } from '../src/runtime/functions/function-runner.js';
import { harnessDir } from '../src/runtime/functions/runners/harness-files.js';
import { toHarnessRequest } from '../src/runtime/functions/runners/harness-protocol.js';
import { createFunctionRunner } from '../src/runtime/functions/runners/index.js';
import { ProcessWorker } from '../src/runtime/functions/runners/process-worker.js';
import { trustedLaunch } from '../src/runtime/functions/runners/sandbox-command.js';
import type { PoolStats } from '../src/runtime/functions/runners/warm-pool.js';
import { request } from '../test/int/runner.contract.js';
import { mixedHitRatio } from './function-mix.js';
import { emit, log, sleep } from './io.js';
import { closedLoop } from './load.js';
import { interleaved, median, percentile, round } from './stats.js';

const SAMPLES = Number(process.env.BENCH_FUNCTION_SAMPLES ?? 1000);
const WARMUP = 100;
const COLD_SAMPLES = Number(process.env.BENCH_FUNCTION_COLD_SAMPLES ?? 30);
const TRIVIAL = 'def handler(input_data, context):\n    return input_data';
const PYTHON = '/usr/bin/python3';

const runner = (pool: Record<string, number>) =>
  createFunctionRunner({ pool: { acquireTimeoutMs: 30_000, ...pool }, logger: { warn: log } });

const stats = (r: FunctionRunner) => r.health().detail.pool as PoolStats;
const ms = (xs: number[], p: number) => round(percentile(xs, p), 2);

export async function runFunctionDispatch(): Promise<void> {
  const ours = await runner({ min: 2, max: 4 });
  const direct = await ProcessWorker.start(trustedLaunch(PYTHON, harnessDir()), 10_000);
  try {
    await sleep(2000); // let the pool fill
    const req = () => request(TRIVIAL, { input: { n: 1 } });
    const timeDirect = async () => {
      const t = performance.now();
      const e = await direct.exchange(toHarnessRequest(req(), { trusted: false, outputLimit: 65536 }));
      if (e.kind !== 'reply' || e.reply.status !== 'completed')
        throw new Error(`direct run: ${JSON.stringify(e)}`);
      return performance.now() - t;
    };
    const timeOurs = async () => {
      const t = performance.now();
      const o = await ours.run(req());
      if (o.kind !== 'completed') throw new Error(`pooled run: ${JSON.stringify(o)}`);
      return performance.now() - t;
    };
    const { a: d, b: p } = await interleaved(timeDirect, timeOurs, WARMUP, SAMPLES);
    const pool = stats(ours);
    emit({
      bench: 'function_dispatch',
      p50_ms: ms(p, 50),
      p99_ms: ms(p, 99),
      direct_p50_ms: ms(d, 50),
      direct_p99_ms: ms(d, 99),
      overhead_p50_ms: round(median(p) - median(d), 2),
      overhead_p99_ms: round(percentile(p, 99) - percentile(d, 99), 2),
      runner: ours.health().sandbox,
      samples: SAMPLES,
      pool_hits: pool.hits,
      pool_misses: pool.misses,
      notes:
        'trivial handler; direct = the same request line to a plain harness process on the host; interleaved',
      target: 'overhead_p50_ms <= 5, overhead_p99_ms <= 25',
    });
  } finally {
    await direct.kill();
    await ours.close();
  }
}

export async function runFunctionCold(): Promise<void> {
  const cold = await runner({ min: 0, max: 1, maxRuns: 1 });
  try {
    const xs: number[] = [];
    for (let i = 0; i < COLD_SAMPLES + 3; i++) {
      await sleep(300); // the previous sandbox's removal finishes outside the sample
      const t = performance.now();
      const o = await cold.run(request(TRIVIAL));
      if (o.kind !== 'completed') throw new Error(`cold run: ${JSON.stringify(o)}`);
      if (i >= 3) xs.push(performance.now() - t);
    }
    emit({
      bench: 'function_cold',
      p50_ms: ms(xs, 50),
      p99_ms: ms(xs, 99),
      runner: cold.health().sandbox,
      samples: xs.length,
      notes: 'pool miss: create + start a sandbox, wait for the harness, run a trivial handler',
      target: 'p99_ms <= 700',
    });
  } finally {
    await cold.close();
  }
}

/** Runs `f` on a runner with these pool options, then closes the runner. */
async function withRunner<T>(pool: Record<string, number>, f: (r: FunctionRunner) => Promise<T>): Promise<T> {
  const r = await runner(pool);
  try {
    return await f(r);
  } finally {
    await r.close();
  }
}

const runTrivial = (r: FunctionRunner) => async () => {
  const o = await r.run(request(TRIVIAL));
  if (o.kind !== 'completed') throw new Error(`pool run: ${JSON.stringify(o)}`);
};

export async function runFunctionPool(): Promise<void> {
  const size = 4;
  const perS = await withRunner({ min: size, max: size }, async (r) => {
    await sleep(3000);
    await closedLoop(size * 2, 1000, runTrivial(r)); // warm-up
    return closedLoop(size * 2, 5000, runTrivial(r));
  });
  // steady load below the pool size: half as many clients as idle workers kept ready
  const steady = await withRunner({ min: size, max: size * 2 }, async (r) => {
    await sleep(3000);
    const before = stats(r);
    const perS = await closedLoop(size / 2, 5000, runTrivial(r));
    const after = stats(r);
    const sandbox = r.health().sandbox;
    return { perS, hits: after.hits - before.hits, misses: after.misses - before.misses, sandbox };
  });
  const mix = await withRunner({}, mixedHitRatio);
  emit({
    bench: 'function_pool',
    per_s: round(perS, 0),
    hit_ratio: round(steady.hits / Math.max(1, steady.hits + steady.misses), 4),
    runner: steady.sandbox,
    pool_size: size,
    saturated_clients: size * 2,
    steady_clients: size / 2,
    steady_per_s: round(steady.perS, 0),
    steady_hits: steady.hits,
    steady_misses: steady.misses,
    ...mix,
    notes:
      'per_s: closed loop, twice as many clients as workers; hit_ratio: half as many clients as workers, recycling every 100 runs; mixed_*: default pool sizes, each run a random (user, function), none sharing a worker',
    target: 'hit_ratio >= 0.99, mixed_hit_ratio >= 0.95',
  });
}
