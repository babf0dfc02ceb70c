/**
 * The platform's side of the WebAssembly host process (wasm/host-process.ts): forks it on first use
 * with an empty environment and no inspector — and, when the platform runs as root, as a fresh
 * unprivileged uid, so even code that got out of its realm could not read the data dir — routes its
 * messages to the WasmWorkers by thread id, and when it ends (a fatal out-of-memory in one of its
 * threads, a crash) ends every worker it held, with the reason from its stderr; the next start forks a
 * new one. A host that cannot start as that uid (its files not readable to others) is forked as the
 * platform's own user from then on, with a warning.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { freshUid } from './sandbox-command.js';
import type { FromHost, HostConfig } from './wasm/host-protocol.js';
import { WasmWorker, type HostLink } from './wasm-worker.js';

const FROM_SOURCE = import.meta.url.endsWith('.ts');
const HOST_ENTRY = new URL(`./wasm/host-process${FROM_SOURCE ? '.ts' : '.js'}`, import.meta.url);
const TAIL = 4096;

interface Fork {
  readonly child: ChildProcess;
  /** the unprivileged uid it runs as (root only) */
  readonly uid: number | undefined;
  /** the workers this process holds, by thread id */
  readonly workers: Map<number, WasmWorker>;
  /** a thread of it got as far as its harness: it can start interpreters */
  served: boolean;
}

export interface HostStatus {
  readonly pid: number | null;
  readonly uid: number | null;
}

export class WasmHost {
  private current: Fork | null = null;
  private nextId = 1;
  private closed = false;
  private unprivileged = true;

  constructor(
    private readonly config: HostConfig,
    private readonly warn: (m: string) => void,
  ) {}

  status(): HostStatus {
    const c = this.current;
    return { pid: c?.child.pid ?? null, uid: c ? (c.uid ?? process.getuid?.() ?? null) : null };
  }

  /** A new interpreter thread, once its harness is ready. */
  startWorker(readyTimeoutMs: number): Promise<WasmWorker> {
    if (this.closed) return Promise.reject(new Error('the WebAssembly host is closed'));
    const { child, workers } = this.current ?? this.fork();
    const link: HostLink = {
      send: (m) => {
        if (child.connected) child.send(m);
      },
      forget: (id) => workers.delete(id),
    };
    const worker = new WasmWorker(this.nextId++, link, this.config.limits.heapMb);
    workers.set(worker.threadId, worker);
    return worker.start(readyTimeoutMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    const child = this.current?.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await gone;
  }

  private fork(): Fork {
    const uid = this.unprivileged ? freshUid() : undefined;
    const child = fork(HOST_ENTRY, [], {
      env: {},
      // the platform's own loader options (tsx from sources) carry over; an inspector port would clash
      execArgv: process.execArgv.filter((a) => !a.startsWith('--inspect')),
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      ...(uid !== undefined ? { uid, gid: uid } : {}),
    });
    const forked: Fork = { child, uid, workers: new Map(), served: false };
    let tail = '';
    const keep = (chunk: Buffer) => (tail = (tail + chunk.toString('utf8')).slice(-TAIL));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    child.on('message', (m: FromHost) => {
      if ('chunk' in m) forked.served = true;
      forked.workers.get(m.id)?.deliver(m);
    });
    child.on('error', (err) => keep(Buffer.from(`\n${err.message}`)));
    child.once('exit', (code, signal) =>
      this.ended(forked, signal ? `signal ${signal}` : `exit code ${code}`, tail),
    );
    child.send({ op: 'configure', config: this.config });
    this.current = forked;
    return forked;
  }

  /** The host process ended: every worker it held ends with it, saying why. */
  private ended(forked: Fork, how: string, tail: string): void {
    if (this.current === forked) this.current = null;
    // V8's fatal errors print their reason first, then a native stack trace
    const said = /FATAL ERROR: [^\n]*/.exec(tail)?.[0] ?? tail.trim().split('\n').slice(-3).join(' ');
    const reason = `${how}${said ? `: ${said}` : ''}`;
    if (forked.uid !== undefined && !forked.served && !this.closed) {
      this.unprivileged = false;
      this.warn(
        `function runner: the WebAssembly host cannot run as an unprivileged user (${reason}); it runs ` +
          "as this process's user from now on (make the installation readable to others to avoid this)",
      );
    }
    for (const w of [...forked.workers.values()]) w.hostEnded(reason);
  }
}
