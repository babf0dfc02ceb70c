/**
 * How a background loop (projection runner, reactor, webhook dispatcher, ...) lives through a
 * failing dependency: it backs off with jitter (100 ms doubling to a 1 s cap, so it is back within
 * about a second of the dependency) and logs once per outage, not once per retry: the first
 * failure, then one line when it works again, with how many tries failed in between.
 */
import { isConnectionError } from './dependency-errors.js';

export interface LoopLog {
  error(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

const BASE_MS = 100;
const MAX_MS = 1000;

export class Backoff {
  private failures = 0;
  private since = 0;

  constructor(
    private readonly log: LoopLog | undefined,
    /** names the loop in every line it logs: `{ loop: 'projection', projection: 'chats' }` */
    private readonly context: Record<string, unknown>,
  ) {}

  /** How many tries have failed in a row (0 while it works). */
  get failing(): number {
    return this.failures;
  }

  /** Logs the failure if it opens an outage, then waits the next delay (cut short by `signal`). */
  async failed(err: unknown, signal?: AbortSignal): Promise<void> {
    if (this.failures++ === 0) {
      this.since = Date.now();
      const outage = isConnectionError(err);
      this.log?.[outage ? 'warn' : 'error'](
        { ...this.context, err },
        outage ? 'dependency unavailable: retrying with backoff' : 'failed: retrying with backoff',
      );
    }
    await sleep(this.delayMs(), signal);
  }

  /** After a try that worked: logs the recovery once, when it ends a run of failures. */
  succeeded(): void {
    if (this.failures === 0) return;
    this.log?.info({ ...this.context, failedTries: this.failures, ms: Date.now() - this.since }, 'recovered');
    this.failures = 0;
  }

  /** full jitter over the upper half: spread so many loops do not return at the same instant */
  private delayMs(): number {
    const cap = Math.min(MAX_MS, BASE_MS * 2 ** Math.min(this.failures - 1, 10));
    return cap / 2 + Math.random() * (cap / 2);
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}
