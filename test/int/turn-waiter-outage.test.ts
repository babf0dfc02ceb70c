/**
 * A request waiting for a turn's reply when the event store goes away: the stream subscription
 * would wait through the outage, so the wait must fail with the outage (the request answers 503
 * with its retry key) instead of hanging until the store is back. With the store up, the probe
 * leaves the wait alone and the turn's end answers it.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DependencyUnavailableError } from '../../src/errors.js';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { streams } from '../../src/events/stream-names.js';
import { migrate } from '../../src/runtime/migrate.js';
import { TurnWaiter } from '../../src/runtime/turns/turn-waiter.js';
import { stoppablePostgres, type StoppablePostgres } from '../support/stoppable-postgres.js';
import { until } from '../support/until.js';
import { ev } from './event-store.contract.js';

describe('waiting for a turn while the event store goes away', function () {
  this.timeout(120_000);
  let db: StoppablePostgres;
  let pool: pg.Pool;
  let store: PgEventStore;
  // a short probe interval keeps the test quick; nothing below depends on how quick
  let waiter: TurnWaiter;
  let probes = 0;

  before(async () => {
    db = await stoppablePostgres();
    pool = new pg.Pool({ connectionString: db.url, max: 4 });
    pool.on('error', () => {}); // idle clients die with the server below: expected here
    await migrate(pool);
    store = new PgEventStore(pool, db.url);
    // the waiter's probes are counted, so the test can wait for some to have run
    const counted = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'headPosition') return () => (probes++, target.headPosition());
        const v = Reflect.get(target, prop, receiver) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    waiter = new TurnWaiter(counted, 600_000, 50);
  });

  after(async () => {
    await store?.close().catch(() => {});
    await pool?.end().catch(() => {});
    await db?.remove();
  });

  async function posted(): Promise<{ chatId: string; turnId: string; revision: bigint }> {
    const chatId = randomUUID();
    const turnId = randomUUID();
    const r = await store.append(
      streams.chat(chatId),
      [
        ev('UserMessagePosted', {
          messageId: randomUUID(),
          turnId,
          content: 'hi',
          at: new Date().toISOString(),
        }),
      ],
      'no_stream',
    );
    return { chatId, turnId, revision: r.nextExpectedRevision };
  }

  it('is answered by the turn’s end while the store is up, probes or not', async () => {
    const t = await posted();
    const waiting = waiter.stop(t);
    let settled = false;
    void waiting.finally(() => (settled = true));
    // several probes run (each a read that succeeds) before the end is written
    const seen = probes;
    await until('three probes during the wait', () => probes >= seen + 3);
    expect(settled, 'nothing ended the wait yet').to.equal(false);
    await store.append(
      streams.chat(t.chatId),
      [ev('TurnFailed', { turnId: t.turnId, error: 'x' })],
      t.revision,
    );
    const outcome = await waiting;
    expect(outcome.kind).to.equal('ended');
  });

  it('fails with the outage when the store goes away, instead of hanging until it is back', async () => {
    const t = await posted();
    const waiting = waiter.stop(t);
    const failure = waiting.then(
      () => undefined,
      (err: unknown) => err,
    );
    await db.stop('fast');
    const err = await failure;
    expect(err).to.be.instanceOf(DependencyUnavailableError);
    expect((err as DependencyUnavailableError).dependency).to.equal('event store');
    await db.start();
  });
});
