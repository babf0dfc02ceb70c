/**
 * One WebAssembly interpreter as the pool sees it: a thread in the WebAssembly host process
 * (wasm/host-process.ts), driven through the same HarnessChannel as the process and container workers.
 * wasm/thread.ts and wasm/realm-*.ts decide what the interpreter can reach; this side caps what a run
 * may send back, ends a run the hard way (the host terminates the thread), and says why it ended.
 */
import { HarnessChannel, type Exchange, type HarnessWorker } from './harness-channel.js';
import type { HarnessRequest } from './harness-protocol.js';
import type { FromHost, ThreadEnd, ToHost } from './wasm/host-protocol.js';

/** protocol characters one run may send back (its output, prints and logs): past this the thread is ended */
const REPLY_LIMIT_CHARS = 64 * 1024 * 1024;
const TAIL = 4096;

/** The worker's way to its host process. */
export interface HostLink {
  send(m: ToHost): void;
  /** the thread is gone: the host forgets it */
  forget(id: number): void;
}

export class WasmWorker implements HarnessWorker {
  runs = 0;
  onGone: (() => void) | null = null;
  private readonly channel: HarnessChannel;
  private tail = '';
  /** the thread's own account of why it ends */
  private fatal: string | null = null;
  private end: ThreadEnd | null = null;
  private hostEnd: string | null = null;
  private replyChars = 0;
  private readonly exited: Promise<void>;
  private markExited: () => void = () => {};

  constructor(
    readonly threadId: number,
    private readonly host: HostLink,
    private readonly heapMb: number,
  ) {
    this.channel = new HarnessChannel((line) => host.send({ op: 'request', id: threadId, line }));
    this.channel.onEnd = () => this.onGone?.();
    this.exited = new Promise((resolve) => (this.markExited = resolve));
  }

  /** Asks the host for the thread and waits for the harness's `ready`. */
  async start(readyTimeoutMs: number): Promise<this> {
    this.host.send({ op: 'start', id: this.threadId });
    try {
      await this.channel.ready(readyTimeoutMs);
      return this;
    } catch (err) {
      await this.kill();
      const why = [this.fatal, this.tail.trim()].filter(Boolean).join(': ');
      throw new Error(`${(err as Error).message}${why ? `: ${why}` : ''}`, { cause: err });
    }
  }

  /** A message from the host about this thread. */
  deliver(m: FromHost): void {
    if ('chunk' in m) this.receive(m.chunk);
    else if ('log' in m) this.keep(m.log);
    else if ('fatal' in m) this.fatal = m.fatal;
    else this.ended(m.end, null);
  }

  /** The host process itself ended (its stderr's tail says why), taking this thread with it. */
  hostEnded(reason: string): void {
    this.ended({ code: 1, error: null }, reason);
  }

  get id(): string {
    return `wasm-thread:${this.threadId}`;
  }

  get containerId(): null {
    return null;
  }

  get alive(): boolean {
    return this.channel.alive;
  }

  exchange(request: HarnessRequest): Promise<Exchange> {
    this.replyChars = 0;
    return this.channel.exchange(request);
  }

  async explainExit(): Promise<string> {
    await this.exited;
    const reason = this.fatal ?? this.channel.exitReason ?? 'unknown';
    const tail = this.tail.trim().split('\n').slice(-5).join('\n');
    if (this.end?.error?.code === 'ERR_WORKER_OUT_OF_MEMORY')
      return `the function ran out of memory (JavaScript heap limit ${this.heapMb} MiB)`;
    if (this.hostEnd !== null)
      return /out of memory/i.test(this.hostEnd)
        ? 'the function ran out of memory (a JavaScript allocation too large for the heap limit ended ' +
            'the WebAssembly host process)'
        : `the WebAssembly host process ended (${this.hostEnd})`;
    if (/out of memory|memory access out of bounds|MemoryError/i.test(`${reason}\n${tail}`))
      return `the function ran out of memory (the interpreter failed: ${reason})`;
    return `the function's interpreter ended unexpectedly (${reason})${tail ? `: ${tail}` : ''}`;
  }

  /** Terminates the thread wherever it is (a loop, a wait); idempotent; resolves once it is gone. */
  async kill(): Promise<void> {
    if (this.end === null) this.host.send({ op: 'kill', id: this.threadId });
    await this.exited;
  }

  private ended(end: ThreadEnd, hostReason: string | null): void {
    if (this.end !== null) return;
    this.end = end;
    this.hostEnd = hostReason;
    this.host.forget(this.threadId);
    this.channel.end(hostReason ?? end.error?.message ?? `the thread exited (code ${end.code})`);
    this.markExited();
  }

  private receive(chunk: string): void {
    this.replyChars += chunk.length;
    if (this.replyChars <= REPLY_LIMIT_CHARS) return this.channel.push(Buffer.from(chunk, 'utf8'));
    this.fatal ??= `the function's reply was larger than ${REPLY_LIMIT_CHARS / 1024 / 1024} MiB`;
    void this.kill();
  }

  private keep(text: string): void {
    this.tail = (this.tail + text).slice(-TAIL);
  }
}
