/**
 * `GET /api/v1/workers` from real heartbeats: this test's platform (an all-in-one process) and a
 * worker process it starts both appear with their role and pid; a SIGKILLed worker, which never
 * says goodbye, drops out once its TTL has passed (set small here), and its row is pruned.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { startProcess } from '../support/role-process.js';
import { until } from '../support/until.js';

const BEATS = { SINAS_WORKER_HEARTBEAT_MS: '100', SINAS_WORKER_TTL_MS: '1500' };

interface Worker {
  id: string;
  role: string;
  pid: number;
  host: string;
  container_name: string;
  status: string;
  created_at: string;
  executions: number;
  last_seen: string;
}

describe('worker processes from their heartbeats (GET /api/v1/workers, /workers/count)', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let child: ChildProcess | undefined;
  let pool: pg.Pool;

  before(async () => {
    t = await startTestPlatform(BEATS);
    pool = new pg.Pool({ connectionString: t.db.url, max: 1 });
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await pool?.end();
    await t?.stop();
  });

  const workers = async (): Promise<Worker[]> => {
    const r = await t.api('/api/v1/workers');
    expect(r.status, await r.clone().text()).to.equal(200);
    return r.json();
  };
  const count = async (): Promise<number> => (await (await t.api('/api/v1/workers/count')).json()).count;

  it('lists this process and a second worker process, each with its role, pid and host', async () => {
    child = startProcess('worker', { DATABASE_URL: t.db.url, ...BEATS });
    const pid = child.pid!;
    await until('both processes listed', async () => (await workers()).length === 2, 60_000);
    const listed = await workers();
    expect(listed.map((w) => [w.role, w.pid])).to.have.deep.members([
      ['all', process.pid],
      ['worker', pid],
    ]);
    for (const w of listed) {
      expect(w.status).to.equal('running');
      expect(w.container_name).to.equal(`sinas-${w.role}@${w.host}:${w.pid}`);
      expect(new Date(w.created_at).toISOString()).to.equal(w.created_at);
      expect(w.executions).to.be.a('number');
    }
    expect(await count()).to.equal(2);
    const stats = await (await t.api('/api/v1/queue/stats')).json();
    expect(stats.workers).to.deep.equal({ count: 2, running: 2 });
  });

  it('drops a SIGKILLed worker once its TTL has passed, and prunes its row', async () => {
    const pid = child!.pid!;
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child!.kill('SIGKILL');
    await exited;
    await until('the killed worker no longer listed', async () =>
      (await workers()).every((w) => w.pid !== pid),
    );
    expect((await workers()).map((w) => w.pid)).to.deep.equal([process.pid]);
    expect(await count()).to.equal(1);
    await until('its row pruned by a live process', async () => {
      const { rows } = await pool.query('SELECT 1 FROM worker_heartbeats WHERE pid = $1', [pid]);
      return rows.length === 0;
    });
  });

  it('answers administrators only', async () => {
    const user = { 'x-api-key': await userKey(t, 'worker_peeker') };
    expect((await t.api('/api/v1/workers', { headers: user })).status).to.equal(403);
    expect((await t.api('/api/v1/workers/count', { headers: user })).status).to.equal(403);
  });
});
