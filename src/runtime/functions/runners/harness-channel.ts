/**
 * One harness process as the runners see it: a channel that writes request lines and waits for the one
 * reply (or for the process to end first), and the HarnessWorker interface the pool manages.
 */
import { encodeLine, JsonLineDecoder, type HarnessReply, type HarnessRequest } from './harness-protocol.js';

export type Exchange =
  | { readonly kind: 'reply'; readonly reply: HarnessReply }
  | { readonly kind: 'gone'; readonly reason: string };

export interface HarnessWorker {
  readonly id: string;
  readonly containerId: string | null;
  /** runs served so far (the pool recycles after N) */
  runs: number;
  readonly alive: boolean;
  /** called once when the process ends, whatever the cause */
  onGone: (() => void) | null;
  exchange(request: HarnessRequest): Promise<Exchange>;
  /** why the process ended, for the run's error (may ask the Docker daemon, e.g. for an OOM kill) */
  explainExit(): Promise<string>;
  /** hard kill; idempotent; resolves once the process is gone */
  kill(): Promise<void>;
}

export class HarnessChannel {
  private readonly decoder = new JsonLineDecoder((msg) => this.onMessage(msg));
  private waiter: ((e: Exchange) => void) | null = null;
  private readyWaiter: { resolve: () => void; reject: (err: Error) => void } | null = null;
  private isReady = false;
  private endReason: string | null = null;
  onEnd: (() => void) | null = null;

  constructor(private readonly write: (line: string) => void) {}

  get alive(): boolean {
    return this.endReason === null;
  }

  get exitReason(): string | null {
    return this.endReason;
  }

  push(chunk: Buffer): void {
    try {
      this.decoder.push(chunk);
    } catch (err) {
      this.end(`the harness wrote something that is not protocol JSON: ${(err as Error).message}`);
    }
  }

  end(reason: string): void {
    if (this.endReason !== null) return;
    this.endReason = reason;
    this.readyWaiter?.reject(new Error(`the harness ended before it was ready: ${reason}`));
    this.readyWaiter = null;
    this.waiter?.({ kind: 'gone', reason });
    this.waiter = null;
    this.onEnd?.();
  }

  /** Resolves on the harness's `ready` line. */
  ready(timeoutMs: number): Promise<void> {
    if (this.isReady) return Promise.resolve();
    if (this.endReason !== null) return Promise.reject(new Error(`the harness ended: ${this.endReason}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiter = null;
        reject(new Error(`the harness was not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (f: () => void) => (clearTimeout(timer), f());
      this.readyWaiter = { resolve: () => done(resolve), reject: (err) => done(() => reject(err)) };
    });
  }

  exchange(request: HarnessRequest): Promise<Exchange> {
    if (this.endReason !== null) return Promise.resolve({ kind: 'gone', reason: this.endReason });
    if (this.waiter) throw new Error('a harness serves one run at a time');
    return new Promise((resolve) => {
      this.waiter = resolve;
      this.write(encodeLine(request));
    });
  }

  private onMessage(msg: unknown): void {
    const m = msg as { ready?: boolean; status?: string };
    if (m.ready === true) {
      this.isReady = true;
      this.readyWaiter?.resolve();
      this.readyWaiter = null;
    } else if (this.waiter && typeof m.status === 'string') {
      const w = this.waiter;
      this.waiter = null;
      w({ kind: 'reply', reply: msg as HarnessReply });
    } else {
      this.end('the harness sent a message nobody asked for');
    }
  }
}
