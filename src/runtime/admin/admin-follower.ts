/**
 * A worker process's side of the administrators' commands (./admin-commands.ts): on start it reads
 * the `system-admin` stream and applies the latest `scale` of each pool (a target is a standing
 * order, so a worker started later follows it too; a past `reload` is not replayed: its pools are
 * fresh), then follows the stream and applies each new command to its function runner's pools,
 * reporting what it did. A command it cannot apply (no runner, no such pool) is reported as such.
 * The store's subscription waits through an outage by itself; any other failure ends the following
 * and is logged (the process's pools keep their last size until it restarts).
 */
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import type { EventStore } from '../../events/event-store.js';
import type { FunctionRunner } from '../functions/function-runner.js';
import {
  ADMIN_STREAM,
  commandOf,
  reportApplied,
  type AdminCommand,
  type AdminReport,
} from './admin-commands.js';

export interface AdminFollowerOptions {
  readonly store: EventStore;
  readonly workerId: string;
  /** this process's function runner, when it runs functions (only its pools are used) */
  readonly runner: () => Pick<FunctionRunner, 'poolControl'> | undefined;
  readonly log: Pick<Logger, 'warn' | 'info'>;
}

export class AdminFollower {
  private sub: Subscription | undefined;
  private applying: Promise<void> = Promise.resolve();

  constructor(private readonly o: AdminFollowerOptions) {}

  async start(): Promise<void> {
    const past = await this.o.store.readStream(ADMIN_STREAM);
    const standing = new Map<string, AdminCommand>();
    for (const e of past) {
      const c = commandOf(e);
      if (c?.kind === 'scale') standing.set(c.pool, c);
    }
    for (const c of standing.values()) this.apply(c);
    const afterRevision = past.at(-1)?.revision;
    const live = this.o.store.subscribeToStream(
      ADMIN_STREAM,
      afterRevision === undefined ? {} : { afterRevision },
    );
    this.sub = live.subscribe({
      next: (e) => {
        const c = commandOf(e);
        if (!c) return;
        const report = this.apply(c);
        // in order, one at a time; a report that cannot be stored is logged: the API stops waiting
        this.applying = this.applying.then(() =>
          reportApplied(this.o.store, c.commandId, this.o.workerId, report).catch((err: unknown) =>
            this.o.log.warn({ err, command: c }, 'admin command applied but its report was not stored'),
          ),
        );
      },
      error: (err: unknown) => this.o.log.warn({ err }, 'admin commands: no longer following the stream'),
    });
  }

  async stop(): Promise<void> {
    this.sub?.unsubscribe();
    await this.applying;
  }

  private apply(c: AdminCommand): AdminReport {
    const pool = this.o.runner()?.poolControl(c.pool);
    if (!pool) return { status: 'no_pool', pool: c.pool };
    this.o.log.info({ command: c }, 'applying an administrator command');
    switch (c.kind) {
      case 'scale':
        return { ...pool.resize(c.target) };
      case 'reload':
        return { ...pool.recycleIdle() };
      case 'restart':
        return { restart: pool.restart(c.name) };
      default: {
        const unreachable: never = c;
        throw new Error(`unknown admin command ${JSON.stringify(unreachable)}`);
      }
    }
  }
}
