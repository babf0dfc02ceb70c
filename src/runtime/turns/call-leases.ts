/**
 * Leases on the tool calls a turn runs inline, across processes: the process running a call holds
 * a Postgres advisory lock on it for as long as the call runs. A job of another process that finds
 * the call started (the wake-up after an approval, a duplicate job) waits for that lock before it
 * decides the runner died, so a live runner is never taken for dead; a killed process's session
 * ends with it, and its locks with the session, so a crashed call is taken over at once.
 *
 * Held locks live on one connection of their own per process (never a pooled client, which a busy
 * pool would need back); a wait for another process's lock takes a pooled client for as long as it
 * waits (that only happens in the race above). Should the lock connection drop, its locks are gone:
 * the next lease opens a new one, and the calls running meanwhile are unguarded (logged).
 */
import pg from 'pg';
import type { Logger } from 'pino';

export interface CallLeases {
  /** runs `work` holding the lease on `key`; when another live process holds it, first waits until it lets go */
  exclusive<T>(key: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** a 64-bit advisory lock id for a key (Postgres hashes it: the same in every process) */
const LOCK_ID = 'hashtextextended($1, 0)';

export class PgCallLeases implements CallLeases {
  private session: Promise<pg.Client> | undefined;
  private closed = false;
  /** the session's statements, one after another (a pg client runs one query at a time) */
  private onSession: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly databaseUrl: string,
    private readonly pool: pg.Pool,
    private readonly log: Pick<Logger, 'warn'>,
  ) {}

  async exclusive<T>(key: string, work: () => Promise<T>): Promise<T> {
    const { rows } = await this.sessionQuery<{ ok: boolean }>(
      `SELECT pg_try_advisory_lock(${LOCK_ID}) AS ok`,
      key,
    );
    if (rows[0]!.ok) {
      try {
        return await work();
      } finally {
        await this.sessionQuery(`SELECT pg_advisory_unlock(${LOCK_ID})`, key).catch((err: unknown) => {
          // the session is gone, and the lock with it
          this.log.warn({ err, key }, 'releasing a call lease failed');
        });
      }
    }
    return this.afterHolder(key, work);
  }

  /** One statement on the lease session, after the ones before it (parallel calls share it). */
  private sessionQuery<R extends pg.QueryResultRow>(sql: string, key: string): Promise<pg.QueryResult<R>> {
    const next = this.onSession.then(async () => (await this.sessionClient()).query<R>(sql, [key]));
    this.onSession = next.catch(() => undefined); // a failed statement is its caller's; the next one still runs
    return next;
  }

  /** Another process holds `key`: waits on a client of its own until it lets go, then runs `work` holding it. */
  private async afterHolder<T>(key: string, work: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query(`SELECT pg_advisory_lock(${LOCK_ID})`, [key]);
      try {
        return await work();
      } finally {
        await client.query(`SELECT pg_advisory_unlock(${LOCK_ID})`, [key]).catch((err: Error) => {
          broken = err; // not back to the pool with a lock it may still hold
        });
      }
    } finally {
      client.release(broken);
    }
  }

  private sessionClient(): Promise<pg.Client> {
    if (this.closed) return Promise.reject(new Error('call leases closed: the platform is stopping'));
    this.session ??= this.connect();
    return this.session;
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('error', (err) => {
      this.log.warn({ err }, 'the call-lease connection was lost: calls running now are unguarded');
      this.session = undefined;
    });
    try {
      await client.connect();
    } catch (err) {
      this.session = undefined; // the next lease tries again
      throw err;
    }
    return client;
  }

  async close(): Promise<void> {
    this.closed = true;
    const session = this.session;
    this.session = undefined;
    // a session that never connected has nothing to end
    if (session) await (await session.catch(() => undefined))?.end();
  }
}
