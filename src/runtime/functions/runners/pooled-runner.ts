/**
 * A FunctionRunner over a WarmPool of harness workers (Docker containers, bubblewrap sandboxes or plain
 * processes): takes a warm worker of the run's isolation key, sends the run, and ends in one outcome. A
 * timeout hard-kills the worker; a failed run, a tainted process (threads or children left over) or a
 * dead one is replaced. Only the trusted shared pool (`shareWorkers`) lets every run use every worker.
 */
import { performance } from 'node:perf_hooks';
import type {
  FunctionRunner,
  PoolControl,
  PoolName,
  RunnerHealth,
  RunnerPoolView,
  RunOutcome,
  RunRequest,
} from '../function-runner.js';
import type { Exchange, HarnessWorker } from './harness-channel.js';
import { replyToOutcome, toHarnessRequest } from './harness-protocol.js';
import type { WarmPool } from './warm-pool.js';

export interface PooledRunnerOptions {
  /** 'docker' | 'bubblewrap' | 'wasm' | 'unsafe-subprocess' */
  readonly sandbox: string;
  /** trusted: the context keeps `secrets` (the shared pool); sandboxes never pass them on */
  readonly trusted: boolean;
  /**
   * true only for the trusted shared pool (admin-written code): any run may use any worker. Otherwise a
   * worker runs code under one RunRequest.isolationKey (user and function version) only.
   */
  readonly shareWorkers?: boolean;
  readonly outputLimit: number;
  /** extra health details (limits, image, ...) */
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** The one key of a pool whose workers every run shares. */
const SHARED_KEY = 'shared';

type Ending = Exchange | { readonly kind: 'timeout' } | { readonly kind: 'aborted' };

export class PooledRunner<W extends HarnessWorker> implements FunctionRunner {
  constructor(
    private readonly pool: WarmPool<W>,
    private readonly opts: PooledRunnerOptions,
  ) {}

  async run(request: RunRequest, signal?: AbortSignal): Promise<RunOutcome> {
    signal?.throwIfAborted();
    const key = this.opts.shareWorkers ? SHARED_KEY : request.isolationKey;
    const { worker } = await this.pool.acquire(key, signal);
    const started = performance.now();
    const harnessRequest = toHarnessRequest(request, {
      trusted: this.opts.trusted,
      outputLimit: this.opts.outputLimit,
    });
    let ending: Ending;
    try {
      worker.runs++;
      ending = await this.race(worker.exchange(harnessRequest), request.timeoutMs, signal);
    } catch (err) {
      this.pool.release(worker, false);
      throw err;
    }
    const meta = () => ({
      containerId: worker.containerId,
      durationMs: Math.round(performance.now() - started),
    });
    switch (ending.kind) {
      case 'reply': {
        const { reply } = ending;
        this.pool.release(worker, reply.status !== 'failed' && !reply.dirty);
        return replyToOutcome(reply, meta());
      }
      case 'timeout': {
        await worker.kill().catch(() => {});
        this.pool.release(worker, false);
        const seconds = request.timeoutMs / 1000;
        return {
          ...empty(),
          ...meta(),
          kind: 'timed_out',
          error: `Function execution timed out after ${seconds} s`,
        };
      }
      case 'gone': {
        const why = await worker.explainExit().catch(() => ending.reason);
        this.pool.release(worker, false);
        return { ...empty(), ...meta(), kind: 'failed', error: why, traceback: null };
      }
      case 'aborted': {
        await worker.kill().catch(() => {});
        this.pool.release(worker, false);
        throw signal?.reason ?? new Error('aborted');
      }
      default: {
        const unreachable: never = ending;
        throw new Error(`unexpected ending ${String(unreachable)}`);
      }
    }
  }

  health(): RunnerHealth {
    return { sandbox: this.opts.sandbox, detail: { ...this.opts.detail, pool: this.pool.stats() } };
  }

  poolView(): RunnerPoolView {
    return { sandbox: this.opts.sandbox, ...this.pool.view() };
  }

  /** a pooled runner is one pool: the router (./index.ts) names it 'sandbox' or 'shared' */
  poolControl(_name: PoolName): PoolControl {
    return this.pool;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private race(exchange: Promise<Exchange>, timeoutMs: number, signal?: AbortSignal): Promise<Ending> {
    return new Promise<Ending>((resolve, reject) => {
      const onAbort = () => finish({ kind: 'aborted' });
      const timer = setTimeout(() => finish({ kind: 'timeout' }), timeoutMs);
      const finish = (e: Ending) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(e);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      exchange.then(finish, (err: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      });
    });
  }
}

function empty() {
  return { stdout: '', stderr: '', logs: [] as string[] };
}
