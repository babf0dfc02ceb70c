/**
 * A harness running as a host process (under bubblewrap, or plain): stdin/stdout carry the protocol,
 * stderr keeps a short tail for diagnostics. Spawned in its own process group so a kill reaches it all.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { HarnessChannel, type Exchange, type HarnessWorker } from './harness-channel.js';
import type { HarnessRequest } from './harness-protocol.js';

export interface ProcessLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** run as this host uid/gid (root only); a fresh uid per worker gives each its own RLIMIT_NPROC budget */
  readonly uid?: number;
}

const STDERR_TAIL = 4096;

export class ProcessWorker implements HarnessWorker {
  runs = 0;
  private readonly channel: HarnessChannel;
  private stderrTail = '';
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly launch: ProcessLaunch,
  ) {
    this.channel = new HarnessChannel((line) => child.stdin!.write(line));
    this.channel.onEnd = () => this.onGone?.();
    child.stdout!.on('data', (chunk: Buffer) => this.channel.push(chunk));
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.stdin!.on('error', () => {}); // EPIPE after a death; the exit event reports it
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.channel.end(signal ? `signal ${signal}` : `exit code ${code}`);
        resolve();
      });
    });
    child.once('error', (err) => this.channel.end(err.message));
  }

  onGone: (() => void) | null = null;

  static async start(launch: ProcessLaunch, readyTimeoutMs: number): Promise<ProcessWorker> {
    const child = spawn(launch.command, launch.args, {
      env: launch.env,
      cwd: launch.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      ...(launch.uid !== undefined ? { uid: launch.uid, gid: launch.uid } : {}),
    });
    const worker = new ProcessWorker(child, launch);
    try {
      await worker.channel.ready(readyTimeoutMs);
    } catch (err) {
      await worker.kill();
      const tail = worker.stderrTail.trim();
      throw new Error(`${(err as Error).message}${tail ? `: ${tail}` : ''}`, { cause: err });
    }
    return worker;
  }

  get id(): string {
    return `pid:${this.child.pid ?? '?'}`;
  }

  get containerId(): null {
    return null;
  }

  get alive(): boolean {
    return this.channel.alive;
  }

  exchange(request: HarnessRequest): Promise<Exchange> {
    return this.channel.exchange(request);
  }

  async explainExit(): Promise<string> {
    await this.exited;
    const reason = this.channel.exitReason ?? 'unknown';
    const tail = this.stderrTail.trim().split('\n').slice(-5).join('\n');
    if (reason === 'signal SIGXCPU') return 'the function exceeded its CPU time limit';
    if (reason === 'signal SIGKILL') return 'the function was killed (SIGKILL: out of memory or a limit)';
    if (reason === 'signal SIGXFSZ') return 'the function wrote a file larger than its file size limit';
    return `the function's process ended unexpectedly (${reason})${tail ? `: ${tail}` : ''}`;
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null && this.child.pid) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        this.child.kill('SIGKILL');
      }
    }
    await this.exited;
    if (this.launch.uid !== undefined) await killAllOfUid(this.launch.uid);
  }
}

/** Processes that left the group (setsid) but still run as the worker's private uid. */
function killAllOfUid(uid: number): Promise<void> {
  return new Promise((resolve) => {
    const k = spawn('kill', ['-KILL', '-1'], { uid, gid: uid, stdio: 'ignore' });
    k.once('exit', () => resolve());
    k.once('error', () => resolve());
  });
}
