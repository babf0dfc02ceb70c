/**
 * A harness in a worker thread running Python compiled to WebAssembly (Pyodide); wasm/thread.ts and the
 * wasm/realm-*.ts files decide what the interpreter can reach. This is the main thread's half: it starts
 * the thread with a JavaScript heap cap and an empty environment, sends request lines through a
 * MessagePort and wakes the thread (which waits on a SharedArrayBuffer), reads the protocol back through
 * the same HarnessChannel as the process and container workers, and ends a run the hard way with
 * worker.terminate().
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import { HarnessChannel, type Exchange, type HarnessWorker } from './harness-channel.js';
import type { HarnessRequest } from './harness-protocol.js';
import type { ThreadData, ThreadMessage } from './wasm/thread.js';

export interface WasmLimits {
  /** the Python heap (WebAssembly memory) */
  readonly wasmMemoryBytes: number;
  /** ArrayBuffers JavaScript may allocate over the worker's life (code reaching through the FFI) */
  readonly bufferBytes: number;
  /** files written into the in-memory filesystem */
  readonly fileBytes: number;
  /** the thread's JavaScript heap (the interpreter's own objects, and any the function makes) */
  readonly heapMb: number;
}

export interface WasmWorkerOptions {
  readonly pyodideDir: string;
  readonly harnessSource: string;
  readonly limits: WasmLimits;
  readonly readyTimeoutMs: number;
  /** boot from this memory snapshot of a fresh interpreter */
  readonly snapshot?: Uint8Array | null;
  /** without one: make a snapshot and hand it to onSnapshot */
  readonly makeSnapshot?: boolean;
  readonly onSnapshot?: (bytes: Uint8Array) => void;
}

const TAIL = 4096;
/** protocol characters one run may send back (its output, prints and logs): past this the thread is ended */
const REPLY_LIMIT_CHARS = 64 * 1024 * 1024;
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const THREAD_URL = new URL(`./wasm/thread${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url).href;
/**
 * The thread's entry. Run from TypeScript sources, tsx's hooks (registered in the main thread only)
 * are registered in the thread first.
 */
const THREAD_ENTRY = FROM_SOURCE
  ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
      .then(({ register }) => (register(), import(${JSON.stringify(THREAD_URL)})));`
  : `import(${JSON.stringify(THREAD_URL)});`;

/** The synthetic environment Python sees in os.environ. */
const PYTHON_ENV = { HOME: '/tmp', PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' };

export class WasmWorker implements HarnessWorker {
  runs = 0;
  onGone: (() => void) | null = null;
  private readonly channel: HarnessChannel;
  private tail = '';
  private error: (Error & { code?: string }) | null = null;
  /** the thread's own account of why it ends */
  private fatal: string | null = null;
  private replyChars = 0;
  private readonly exited: Promise<void>;

  private constructor(
    private readonly worker: Worker,
    private readonly limits: WasmLimits,
    send: (line: string) => void,
    onSnapshot: WasmWorkerOptions['onSnapshot'],
  ) {
    this.channel = new HarnessChannel(send);
    this.channel.onEnd = () => this.onGone?.();
    worker.on('message', (m: ThreadMessage) => {
      if (typeof m === 'string') this.receive(m);
      else if ('log' in m) this.keep(`${m.log}\n`);
      else if ('snapshot' in m) onSnapshot?.(m.snapshot);
      else this.fatal = m.fatal;
    });
    worker.stderr.on('data', (chunk: Buffer) => this.keep(chunk.toString('utf8')));
    worker.stdout.on('data', (chunk: Buffer) => this.keep(chunk.toString('utf8')));
    worker.on('error', (err) => {
      this.error = err;
      this.channel.end(err.message);
    });
    this.exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.channel.end(`the thread exited (code ${code})`);
        resolve();
      }),
    );
  }

  static async start(opts: WasmWorkerOptions): Promise<WasmWorker> {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    const flag = new Int32Array(signal);
    const data: ThreadData = {
      pyodideDir: opts.pyodideDir,
      snapshot: opts.snapshot ?? null,
      makeSnapshot: opts.makeSnapshot ?? false,
      harnessSource: opts.harnessSource,
      signal,
      requests: port2,
      wasmMemoryBytes: opts.limits.wasmMemoryBytes,
      bufferBytes: opts.limits.bufferBytes,
      fileBytes: opts.limits.fileBytes,
      env: PYTHON_ENV,
    };
    const thread = new Worker(THREAD_ENTRY, {
      eval: true,
      name: 'sinas-wasm-function',
      workerData: data,
      transferList: [port2],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: opts.limits.heapMb },
    });
    const send = (line: string) => {
      port1.postMessage(line);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    };
    const worker = new WasmWorker(thread, opts.limits, send, opts.onSnapshot);
    try {
      await worker.channel.ready(opts.readyTimeoutMs);
    } catch (err) {
      await worker.kill();
      const why = [worker.fatal, worker.tail.trim()].filter(Boolean).join(': ');
      throw new Error(`${(err as Error).message}${why ? `: ${why}` : ''}`, { cause: err });
    }
    return worker;
  }

  get id(): string {
    return `thread:${this.worker.threadId}`;
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
    if (this.error?.code === 'ERR_WORKER_OUT_OF_MEMORY')
      return `the function ran out of memory (JavaScript heap limit ${this.limits.heapMb} MiB)`;
    if (/out of memory|memory access out of bounds|MemoryError/i.test(`${reason}\n${tail}`))
      return `the function ran out of memory (the interpreter failed: ${reason})`;
    return `the function's interpreter ended unexpectedly (${reason})${tail ? `: ${tail}` : ''}`;
  }

  /** worker.terminate(): stops the interpreter wherever it is (a loop, a wait); idempotent */
  async kill(): Promise<void> {
    await this.worker.terminate();
    await this.exited;
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
