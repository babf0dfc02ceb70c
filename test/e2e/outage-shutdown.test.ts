/**
 * SIGTERM while the database is down (issue 20): an operator stops the platform during an outage
 * that does not end. Every loop that retries the database (projection runners, reactors, the
 * webhook dispatcher, the waiter, the head watcher's LISTEN reconnects) must give up on stop, so
 * the process exits by itself instead of hanging until it is killed.
 */
import { expect } from 'chai';
import { ADMIN_KEY } from '../support/platform.js';
import { freePort } from '../support/services.js';
import { sinasProcesses, startSinas, type SinasProcess } from '../support/sinas-process.js';
import { stoppablePostgres, type StoppablePostgres } from '../support/stoppable-postgres.js';
import { until } from '../support/until.js';
import { chatLoad, type ChatLoad } from '../support/chat-load.js';

/** a failure cutoff for the exit, not a speed requirement */
const EXIT_CUTOFF_MS = 60_000;

describe('SIGTERM during a database outage', function () {
  this.timeout(300_000);
  const procs = sinasProcesses('sinas-outage-stop-');
  let db: StoppablePostgres;
  let s: SinasProcess;
  let load: ChatLoad | undefined;

  before(async () => {
    db = await stoppablePostgres();
    s = procs.track(
      startSinas(procs.dataDir(), await freePort(), { DATABASE_URL: db.url, SINAS_ADMIN_API_KEY: ADMIN_KEY }),
    );
    await s.healthy(120_000);
  });

  after(async () => {
    // the process first: the load's posts retry until answered, and a stopped process answers them
    await procs.cleanUp();
    load?.close();
    await load?.stop();
    await db?.remove();
  });

  const down = async (): Promise<string[]> => {
    const res = await fetch(`${s.url}/health`).catch(() => undefined);
    return res ? (((await res.json()) as { down?: string[] }).down ?? []) : [];
  };

  it('ends the process while the database stays down: no loop waits for it to come back', async () => {
    load = await chatLoad(s.url, { clients: 2, keyed: 1, followers: 2 });
    // an outage it recovers from first, as an operator's would be, then one that does not end; the
    // load goes on throughout, as clients do, over kept-alive connections
    for (const mode of ['fast', 'immediate'] as const) {
      const okBefore = load.stats().ok;
      await until('messages flowing', () => load!.stats().ok >= okBefore + 2, 60_000);
      await db.stop(mode);
      await until(
        '/health to report the database down',
        async () => (await down()).includes('database'),
        60_000,
      );
      if (mode === 'fast') {
        await db.start();
        await s.healthy(60_000);
      }
    }

    s.child.kill('SIGTERM');
    const exit = await Promise.race([
      s.exited.then((code) => ({ code })),
      new Promise<undefined>((r) => setTimeout(() => r(undefined), EXIT_CUTOFF_MS).unref()),
    ]);
    expect(exit, `the process did not exit after SIGTERM:\n${s.stderr()}`).to.not.equal(undefined);
    expect(exit!.code, s.stderr()).to.equal(0);
  });
});
