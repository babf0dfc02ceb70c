/**
 * A redis-server that a test or bench stops (SIGTERM or SIGKILL) and starts again on the same port
 * and data dir, as an operator's Redis would go away and come back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, waitForPort } from './services.js';

/** A redis-server that can be stopped and started again on the same port and data dir. */
export class RestartableRedis {
  private child: ChildProcess | undefined;
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<RestartableRedis> {
    const r = new RestartableRedis(
      await freePort(),
      mkdtempSync(path.join(os.tmpdir(), 'sinas-outage-redis-')),
    );
    await r.up();
    return r;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Jobs must outlive a SIGKILL, as on any Redis that backs BullMQ: the append-only file, fsynced. */
  async up(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) return;
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', ''];
    args.push('--appendonly', 'yes', '--appendfsync', 'always');
    this.child = spawn('redis-server', args, { stdio: 'ignore' });
    await waitForPort(this.port, 10_000);
  }

  async down(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await exited;
  }

  async remove(): Promise<void> {
    await this.down('SIGTERM');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
