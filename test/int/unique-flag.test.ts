/**
 * A unique flag (`is_default`) set by a write while the read model still lags behind an earlier
 * write that set it elsewhere (another API process, a busy worker): the write waits for the read
 * model to reach it before looking for the flag's other holders, so one holder remains in the
 * streams too (the read model alone would hide a second holder: it clears the flag elsewhere itself).
 */
import { expect } from 'chai';
import type pg from 'pg';
import { agentKind } from '../../src/commands/agent/agent-kind.js';
import { CommandHandler } from '../../src/commands/command-handler.js';
import { ResourceService } from '../../src/commands/resource/resource-service.js';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { ensureReadModels } from '../../src/projections/index.js';
import { ResourceQueries } from '../../src/projections/resource-queries.js';
import { resourceProjection } from '../../src/projections/resources.js';
import { ProjectionRunner } from '../../src/projections/runner.js';
import { ProjectionWaiter } from '../../src/projections/waiter.js';
import { migrate } from '../../src/runtime/migrate.js';
import { flagHolders } from '../../src/runtime/services.js';
import { freshDatabase, testPool, type TestDatabase } from '../support/pg.js';

describe('a unique flag while the read model lags', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: PgEventStore;
  let waiter: ProjectionWaiter;
  const runners: ProjectionRunner[] = [];

  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 8);
    await migrate(pool);
    await ensureReadModels(pool, [resourceProjection(agentKind)]);
    store = new PgEventStore(pool, db.url);
    waiter = new ProjectionWaiter(pool, db.url);
  });

  after(async () => {
    for (const r of runners) await r.stop();
    await waiter.stop();
    await store.close();
    await pool.end();
    await db.drop();
  });

  const project = () => {
    const r = new ProjectionRunner(pool, store, resourceProjection(agentKind));
    runners.push(r);
    r.start();
    return r;
  };
  const ctx = (n: string) => ({ commandId: `cmd-${n}`, actor: 'u1' });
  const agent = (name: string) => ({ namespace: 'def', name, is_default: true });

  it('clears the holder a write not yet projected made, instead of leaving two', async () => {
    const queries = new ResourceQueries(pool);
    const handler = new CommandHandler(store);
    const holders = flagHolders({ waiter }, { resources: queries }, { consistencyTimeoutMs: 60_000 });
    let lagging = false;
    const agents = new ResourceService(agentKind, store, handler, (kind, flag, position) => {
      // the worst lag: the read model starts catching up only as the write looks for holders
      if (lagging) {
        lagging = false;
        project();
      }
      return holders(kind, flag, position);
    });
    // another API process, whose read model had a as the holder: b takes the flag from a
    const elsewhere = new ResourceService(agentKind, store, handler, async () => [
      { namespace: 'def', name: 'a' },
    ]);

    const first = project();
    await agents.create(agent('a'), ctx('a'));
    await first.stop();
    // b takes the flag while nothing projects: the read model still says a holds it, b is unknown
    await elsewhere.create(agent('b'), ctx('b'));
    // a takes it back: an event (a's stream says b cleared it), so the write must find b
    lagging = true;
    const written = await agents.update('def', 'a', { is_default: true }, ctx('a-again'));
    expect(written.position).to.not.equal(undefined);
    expect(await waiter.waitFor([agentKind.table], written.position, 60_000)).to.equal(true);

    // the streams (what a running turn and `?version=` read), not only the read model, say it
    expect((await agents.at('def', 'a')).spec.is_default).to.equal(true);
    expect((await agents.at('def', 'b')).spec.is_default).to.equal(false);
    const after = await queries.flagHolders(agentKind, 'is_default');
    expect(after.map((h) => h.name)).to.deep.equal(['a']);
  });
});
