/**
 * The WebAssembly sandbox: Python compiled to WebAssembly (the `pyodide` package, offline), one
 * interpreter per worker thread of a host process of its own (wasm-host.ts), in a WarmPool behind the
 * PooledRunner like every other sandbox. The sandbox that needs nothing from the machine, so the one
 * `auto` ends with when neither Docker nor bubblewrap can run. What a function cannot do here is listed
 * in the README ("Function runners").
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { RunnerHealth } from '../function-runner.js';
import { HARNESS_FILE, harnessDir } from './harness-files.js';
import type { SandboxLimits } from './limits.js';
import { PooledRunner } from './pooled-runner.js';
import type { WasmLimits } from './wasm/host-protocol.js';
import { WasmHost } from './wasm-host.js';
import type { WasmWorker } from './wasm-worker.js';
import { WarmPool, type PoolOptions } from './warm-pool.js';

/** Loading Pyodide takes seconds of CPU (more on a busy machine); a start fails only well past that. */
const READY_TIMEOUT_MS = 120_000;
/** The interpreter's own JavaScript objects take about 30 MiB; the rest is for the function's. */
const HEAP_MB = 128;
const MiB = 1024 * 1024;

export interface WasmRunnerOptions {
  readonly limits: SandboxLimits;
  readonly pool: PoolOptions;
  readonly outputLimit: number;
  /** why a stronger sandbox was not chosen, for health() */
  readonly note?: string;
  readonly warn?: (m: string) => void;
}

/** The sandbox's caps from the common limits: memory for the Python heap, the tmpfs size for files. */
function wasmLimits(limits: SandboxLimits): WasmLimits {
  return {
    wasmMemoryBytes: limits.memoryBytes,
    bufferBytes: limits.memoryBytes,
    fileBytes: limits.tmpfsBytes,
    heapMb: HEAP_MB,
  };
}

export function pyodideDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('pyodide/package.json'));
}

/** A PooledRunner that also ends its host process when closed. */
class WasmRunner extends PooledRunner<WasmWorker> {
  constructor(
    pool: WarmPool<WasmWorker>,
    opts: ConstructorParameters<typeof PooledRunner>[1],
    private readonly host: WasmHost,
  ) {
    super(pool, opts);
  }

  override health(): RunnerHealth {
    const h = super.health();
    return { ...h, detail: { ...h.detail, host: this.host.status() } };
  }

  override async close(): Promise<void> {
    await super.close();
    await this.host.close();
  }
}

export function createWasmRunner(opts: WasmRunnerOptions): PooledRunner<WasmWorker> {
  const dir = pyodideDir();
  const version = (JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string })
    .version;
  const harnessSource = readFileSync(path.join(harnessDir(), HARNESS_FILE), 'utf8');
  const limits = wasmLimits(opts.limits);
  const warn = opts.warn ?? ((m: string) => process.stderr.write(`${m}\n`));
  const host = new WasmHost({ pyodideDir: dir, harnessSource, limits }, warn);
  const pool = new WarmPool(() => host.startWorker(READY_TIMEOUT_MS), opts.pool);
  pool.warm();
  const detail = {
    engine: `pyodide ${version}`,
    limits: {
      memory_mb: Math.round(limits.wasmMemoryBytes / MiB),
      js_heap_mb: limits.heapMb,
      files_mb: Math.round(limits.fileBytes / MiB),
    },
    ...(opts.note ? { note: opts.note } : {}),
  };
  return new WasmRunner(
    pool,
    { sandbox: 'wasm', trusted: false, outputLimit: opts.outputLimit, detail },
    host,
  );
}
