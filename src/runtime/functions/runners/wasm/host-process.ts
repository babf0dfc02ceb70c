/**
 * The WebAssembly host process: the platform's child that holds every interpreter thread, one
 * `worker_threads` Worker per interpreter. It exists for one reason: a V8 heap limit is no boundary
 * inside a process — one big enough allocation (`Object.keys` of a large typed array, `to_js` of a long
 * list) ends the whole process with a fatal out-of-memory instead of ending the worker. Here that ends
 * this host, and the platform sees its interpreters gone; never the platform itself.
 *
 * It runs no user code of its own: it starts threads (wasm/thread.ts), passes request lines to them
 * (a MessagePort, then a wake-up through a SharedArrayBuffer they wait on), forwards what they send,
 * terminates them on request, and keeps the interpreter snapshot. It exits when the platform goes.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import type { FromHost, HostConfig, ToHost } from './host-protocol.js';
import { SnapshotKeeper, type SnapshotPlan } from './snapshot-keeper.js';
import type { ThreadData, ThreadMessage } from './thread.js';

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const THREAD_URL = new URL(`./thread${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url).href;
/** Run from TypeScript sources, tsx's hooks (registered in a main thread only) go into the thread first. */
const THREAD_ENTRY = FROM_SOURCE
  ? `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
      .then(({ register }) => (register(), import(${JSON.stringify(THREAD_URL)})));`
  : `import(${JSON.stringify(THREAD_URL)});`;

/** The synthetic environment Python sees in os.environ. */
const PYTHON_ENV = { HOME: '/tmp', PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', PYTHONDONTWRITEBYTECODE: '1' };

const send = (m: FromHost) => process.send?.(m);
const snapshots = new SnapshotKeeper();
const threads = new Map<number, Thread>();
let config: HostConfig | null = null;

/** One interpreter thread and its request channel. */
class Thread {
  private readonly worker: Worker;
  private readonly requests: MessageChannel['port1'];
  private readonly flag: Int32Array;
  private booted = false;
  private settled = false;
  private made: Uint8Array | null = null;
  private error: ThreadEndError = null;

  constructor(
    private readonly id: number,
    c: HostConfig,
    private readonly plan: SnapshotPlan,
  ) {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(4);
    this.requests = port1;
    this.flag = new Int32Array(signal);
    const data: ThreadData = {
      pyodideDir: c.pyodideDir,
      harnessSource: c.harnessSource,
      snapshot: plan.snapshot ?? null,
      makeSnapshot: plan.makeSnapshot ?? false,
      signal,
      requests: port2,
      wasmMemoryBytes: c.limits.wasmMemoryBytes,
      bufferBytes: c.limits.bufferBytes,
      fileBytes: c.limits.fileBytes,
      env: PYTHON_ENV,
    };
    this.worker = new Worker(THREAD_ENTRY, {
      eval: true,
      name: `sinas-wasm-function-${id}`,
      workerData: data,
      transferList: [port2],
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: c.limits.heapMb },
    });
    this.worker.on('message', (m: ThreadMessage) => this.fromThread(m));
    const diagnostic = (chunk: Buffer) => send({ id, log: chunk.toString('utf8') });
    this.worker.stdout.on('data', diagnostic);
    this.worker.stderr.on('data', diagnostic);
    this.worker.on('error', (err: Error & { code?: string }) => {
      this.error = { message: err.message, ...(err.code ? { code: err.code } : {}) };
    });
    this.worker.once('exit', (code) => {
      threads.delete(id);
      this.settle();
      send({ id, end: { code, error: this.error } });
    });
  }

  request(line: string): void {
    this.requests.postMessage(line);
    Atomics.store(this.flag, 0, 1);
    Atomics.notify(this.flag, 0);
  }

  kill(): void {
    void this.worker.terminate();
  }

  private fromThread(m: ThreadMessage): void {
    if (typeof m === 'string') {
      this.booted = true; // its first protocol line is the harness's `ready`
      this.settle();
      send({ id: this.id, chunk: m });
    } else if ('snapshot' in m) this.made = m.snapshot;
    else if ('log' in m) send({ id: this.id, log: m.log });
    else send({ id: this.id, fatal: m.fatal });
  }

  /** tells the snapshot keeper how this thread's boot went, once */
  private settle(): void {
    if (this.settled) return;
    this.settled = true;
    snapshots.settle(this.plan, this.booted, this.made);
    this.made = null;
  }
}

type ThreadEndError = { message: string; code?: string } | null;

process.on('message', (m: ToHost) => {
  switch (m.op) {
    case 'configure':
      config = m.config;
      return;
    case 'start':
      if (!config)
        return send({ id: m.id, end: { code: 1, error: { message: 'the host is not configured' } } });
      threads.set(m.id, new Thread(m.id, config, snapshots.plan()));
      return;
    case 'request':
      return threads.get(m.id)?.request(m.line);
    case 'kill': {
      const thread = threads.get(m.id);
      if (thread) return thread.kill();
      return send({ id: m.id, end: { code: 1, error: null } }); // already gone: say so again
    }
    default: {
      const unreachable: never = m;
      throw new Error(`unknown host message ${JSON.stringify(unreachable)}`);
    }
  }
});
// the platform went away (or closed the channel): nothing here may outlive it
process.on('disconnect', () => process.exit(0));
