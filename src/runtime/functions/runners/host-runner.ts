/** Harness processes on the host: the bubblewrap or plain-subprocess sandbox, and the trusted shared pool. */
import { rmSync } from 'node:fs';
import { publicHarnessCopy } from './harness-files.js';
import { describeLimits, type SandboxLimits } from './limits.js';
import { PooledRunner } from './pooled-runner.js';
import { ProcessWorker } from './process-worker.js';
import { hostLaunch, trustedLaunch, type HostSandbox } from './sandbox-command.js';
import { WarmPool, type PoolOptions } from './warm-pool.js';

const READY_TIMEOUT_MS = 10_000;

/** A PooledRunner that also removes its copy of the harness when closed. */
class HostRunner extends PooledRunner<ProcessWorker> {
  constructor(
    pool: WarmPool<ProcessWorker>,
    opts: ConstructorParameters<typeof PooledRunner>[1],
    private readonly copyDir: string,
  ) {
    super(pool, opts);
  }

  override async close(): Promise<void> {
    await super.close();
    rmSync(this.copyDir, { recursive: true, force: true });
  }
}

export interface HostRunnerOptions {
  readonly python: string;
  readonly limits: SandboxLimits;
  readonly pool: PoolOptions;
  readonly outputLimit: number;
  /** why a weaker sandbox was chosen, for health() */
  readonly note?: string;
}

export function createHostSandboxRunner(
  sandbox: HostSandbox,
  opts: HostRunnerOptions,
): PooledRunner<ProcessWorker> {
  const dir = publicHarnessCopy();
  const launch = () => hostLaunch(sandbox, { python: opts.python, harnessDir: dir, limits: opts.limits });
  const pool = new WarmPool(() => ProcessWorker.start(launch(), READY_TIMEOUT_MS), opts.pool);
  pool.warm();
  const detail = {
    python: opts.python,
    limits: describeLimits(opts.limits),
    ...(opts.note ? { note: opts.note } : {}),
  };
  return new HostRunner(pool, { sandbox, trusted: false, outputLimit: opts.outputLimit, detail }, dir);
}

export interface SharedPoolOptions {
  readonly python: string;
  readonly pool: PoolOptions;
  readonly outputLimit: number;
}

/** Trusted code only: long-lived plain processes whose context carries `secrets`. */
export function createSharedPoolRunner(opts: SharedPoolOptions): PooledRunner<ProcessWorker> {
  const dir = publicHarnessCopy();
  const pool = new WarmPool(
    () => ProcessWorker.start(trustedLaunch(opts.python, dir), READY_TIMEOUT_MS),
    opts.pool,
  );
  pool.warm();
  const runnerOpts = {
    sandbox: 'shared_pool',
    trusted: true,
    shareWorkers: true,
    outputLimit: opts.outputLimit,
  };
  return new HostRunner(pool, runnerOpts, dir);
}
