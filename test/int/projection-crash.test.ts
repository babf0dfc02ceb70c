/**
 * A worker killed with SIGKILL in the middle of projecting, then restarted, leaves a read model
 * equal to a rebuild from position 0: checkpoints and rows commit together.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { agentKind } from '../../src/commands/agent/agent-kind.js';
import { PgEventStore } from '../../src/events/postgres/pg-event-store.js';
import { streams } from '../../src/events/stream-names.js';
import { readCheckpoint } from '../../src/projections/checkpoints.js';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { resourceProjection } from '../../src/projections/resources.js';
import { migrate } from '../../src/runtime/migrate.js';
import { freshDatabase, type TestDatabase, testPool } from '../support/pg.js';
import { until } from '../support/until.js';
import { spawnWorker } from '../support/worker-process.js';
import { ev } from './event-store.contract.js';

const startWorker = (url: string): ChildProcess => spawnWorker(url);

describe('projection crash safety', function () {
  this.timeout(180_000);
  let db: TestDatabase;
  let pool: pg.Pool;
  let store: PgEventStore;
  const children: ChildProcess[] = [];
  before(async () => {
    db = await freshDatabase();
    pool = testPool(db.url, 8);
    await migrate(pool);
    store = new PgEventStore(pool, db.url);
  });
  after(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await store.close();
    await pool.end();
    await db.drop();
  });

  it('survives SIGKILL mid-projection: after restart the agents table equals a rebuild', async () => {
    const at = new Date().toISOString();
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 1500; i++) {
      const s = streams.agent('crash', `a${i}`);
      const created = ev('AgentCreated', {
        id: randomUUID(),
        namespace: 'crash',
        name: `a${i}`,
        ownerId: 'u1',
        spec: { temperature: 0.7, is_default: false },
        at,
      });
      const updates = Array.from({ length: 9 }, (_, j) =>
        ev('AgentUpdated', {
          changes: { description: `d${j}`, temperature: j / 10 },
          changed: ['description', 'temperature'],
          at,
        }),
      );
      const tail =
        i % 5 === 0
          ? [ev('AgentDeleted', { at })]
          : i % 7 === 0
            ? [ev('AgentUpdated', { changes: { is_default: true }, changed: ['is_default'], at })]
            : [];
      writes.push(store.append(s, [created, ...updates, ...tail], 'no_stream'));
    }
    await Promise.all(writes);
    const head = await store.headPosition();

    const first = startWorker(db.url);
    children.push(first);
    await until(
      'the worker to project part of the events',
      async () => {
        const cp = await readCheckpoint(pool, 'agents');
        return cp !== undefined && cp.position > 0n;
      },
      60_000,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const killedAt = (await readCheckpoint(pool, 'agents'))!.position;
    expect(killedAt < head, 'the kill landed before the projection finished').to.equal(true);

    const second = startWorker(db.url);
    children.push(second);
    await until(
      'the restarted worker to catch up',
      async () => (await readCheckpoint(pool, 'agents'))!.position >= head,
      60_000,
    );
    second.kill('SIGTERM');
    await new Promise((r) => second.once('exit', r));

    const snapshot = async () =>
      (
        await pool.query(
          'SELECT namespace, name, id, version, owner_id, spec, position FROM agents ORDER BY namespace, name',
        )
      ).rows;
    const live = await snapshot();
    expect(live.length).to.equal(1500 - 300);
    // every stream that ends with is_default set shows it (the read model mirrors the streams; the
    // service, not the projection, clears a flag's other holders)
    const defaults = Array.from({ length: 1500 }, (_, i) => i).filter((i) => i % 5 !== 0 && i % 7 === 0);
    expect(live.filter((r) => r.spec.is_default === true).map((r) => r.name)).to.have.members(
      defaults.map((i) => `a${i}`),
    );
    await rebuildProjection(pool, store, resourceProjection(agentKind));
    expect(await snapshot()).to.deep.equal(live);
  });
});
