/**
 * `wasm_dispatch`: the WebAssembly runner's cost per run. A trivial handler through the runner (warm
 * pool, host process, worker thread, realm) against the same request line served by the same harness in an
 * already-loaded Pyodide interpreter in this thread (the direct baseline), interleaved; and the cold
 * start: a pool miss, loading a fresh interpreter, then the run.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { loadPyodide } from 'pyodide';
import type { FunctionRunner } from '../src/runtime/functions/function-runner.js';
import { HARNESS_FILE, harnessDir } from '../src/runtime/functions/runners/harness-files.js';
import { encodeLine, toHarnessRequest } from '../src/runtime/functions/runners/harness-protocol.js';
import { DEFAULT_LIMITS } from '../src/runtime/functions/runners/limits.js';
import { HARNESS_BOOT_PYTHON } from '../src/runtime/functions/runners/wasm/harness-boot.js';
import { createWasmRunner } from '../src/runtime/functions/runners/wasm-runner.js';
import type { PoolOptions } from '../src/runtime/functions/runners/warm-pool.js';
import { request } from '../test/int/runner.contract.js';
import { emit, sleep } from './io.js';
import { interleaved, median, percentile, round } from './stats.js';

const SAMPLES = Number(process.env.BENCH_WASM_SAMPLES ?? 1000);
const WARMUP = 100;
const COLD_SAMPLES = Number(process.env.BENCH_WASM_COLD_SAMPLES ?? 10);
const TRIVIAL = 'def handler(input_data, context):\n    return input_data';
const OUTPUT_LIMIT = 64 * 1024;

const runner = (pool: Partial<PoolOptions>) =>
  createWasmRunner({
    limits: DEFAULT_LIMITS,
    pool: { min: 1, max: 1, maxRuns: 1_000_000, acquireTimeoutMs: 300_000, ...pool },
    outputLimit: OUTPUT_LIMIT,
  });
const ms = (xs: number[], p: number) => round(percentile(xs, p), 2);
const req = () => request(TRIVIAL, { input: { n: 1 } });

/** The harness's serve loop in a plain Pyodide here: one call serves one request line. */
async function directHarness(): Promise<(line: string) => string> {
  const py = await loadPyodide();
  const pending: string[] = [];
  const replies: string[] = [];
  const globals = py.globals.get('dict')();
  globals.set('read_request', () => pending.shift() ?? '');
  globals.set('buffers_spent', () => false);
  globals.set('write_reply', (chunk: string) => void replies.push(chunk));
  globals.set('harness_source', readFileSync(path.join(harnessDir(), HARNESS_FILE), 'utf8'));
  globals.set('harness_path', '/opt/sinas/sinas_harness.py');
  py.runPython(HARNESS_BOOT_PYTHON, { globals }); // serves nothing yet: the queue is empty
  const serveOnce = py.runPython(
    'lambda: harness.serve(ProtocolIn(read_request), ProtocolOut(write_reply))',
    {
      globals,
    },
  ) as () => void;
  return (line) => {
    pending.push(line);
    replies.length = 0;
    serveOnce();
    return replies.join('');
  };
}

async function timeIt(f: () => Promise<void> | void): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

async function dispatch(ours: FunctionRunner, direct: (line: string) => string) {
  const viaRunner = () =>
    timeIt(async () => {
      const o = await ours.run(req());
      if (o.kind !== 'completed') throw new Error(`run through the runner: ${JSON.stringify(o)}`);
    });
  const inPlace = () =>
    timeIt(() => {
      const line = encodeLine(toHarnessRequest(req(), { trusted: false, outputLimit: OUTPUT_LIMIT }));
      if (!direct(line).includes('"status": "completed"')) throw new Error('direct run did not complete');
    });
  const { a: p, b: d } = await interleaved(viaRunner, inPlace, WARMUP, SAMPLES);
  return { p, d };
}

async function cold(): Promise<number[]> {
  const r = runner({ min: 0, max: 1, maxRuns: 1 });
  try {
    const xs: number[] = [];
    for (let i = 0; i < COLD_SAMPLES + 1; i++) {
      await sleep(200); // the previous thread's teardown finishes outside the sample
      const t = await timeIt(async () => {
        const o = await r.run(req());
        if (o.kind !== 'completed') throw new Error(`cold run: ${JSON.stringify(o)}`);
      });
      if (i > 0) xs.push(t);
    }
    return xs;
  } finally {
    await r.close();
  }
}

export async function runWasmDispatch(): Promise<void> {
  const ours = runner({});
  const direct = await directHarness();
  let warm: { p: number[]; d: number[] };
  try {
    warm = await dispatch(ours, direct);
  } finally {
    await ours.close();
  }
  const c = await cold();
  const { p, d } = warm;
  emit({
    bench: 'wasm_dispatch',
    p50_ms: ms(p, 50),
    p99_ms: ms(p, 99),
    direct_p50_ms: ms(d, 50),
    direct_p99_ms: ms(d, 99),
    overhead_p50_ms: round(median(p) - median(d), 2),
    overhead_p99_ms: round(percentile(p, 99) - percentile(d, 99), 2),
    cold_p50_ms: ms(c, 50),
    cold_p99_ms: ms(c, 99),
    samples: SAMPLES,
    cold_samples: c.length,
    notes:
      'trivial handler; direct = the same request line served by the same harness in a loaded Pyodide in this thread; interleaved. cold = pool miss: a fresh interpreter thread in the host process boots from the snapshot, then runs',
    target: 'overhead_p50_ms <= 5',
  });
}
