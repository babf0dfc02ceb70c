/**
 * The administrators' commands to the worker processes' function pools (reference §5.13), through
 * the command every worker follows: `POST /api/v1/containers/scale` resizes the sandbox pool,
 * `/containers/reload` replaces its idle containers, `/workers/scale` and `/workers/reload` do the
 * same to the trusted shared pool (the original's shared workers), `/system/containers/{name}/restart`
 * replaces one function container. With Docker the containers view shows the effect; with another
 * sandbox the runner's own pool view does. The dead letters' HTTP routes are here too; their effect
 * is test/int/dead-letters.test.ts.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { startProcess } from '../support/role-process.js';
import { until } from '../support/until.js';

interface Stats {
  total: number;
  idle_containers: { name: string }[];
  in_use_containers: { name: string }[];
}

describe('administrators: scaling and reloading the function pools', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform({ SINAS_WORKER_HEARTBEAT_MS: '200', SINAS_WORKER_TTL_MS: '10000' });
  });
  after(async () => t?.stop());

  const runner = () => t.platform.services.functionRunner!;
  const docker = () => runner().health().sandbox === 'docker';
  /** the sandbox pool's workers started: the containers view with Docker, else the runner's own */
  const sandboxIds = async (): Promise<string[]> => {
    if (!docker())
      return runner()
        .poolView()
        .members.map((m) => m.id);
    const s = (await (await t.api('/api/v1/containers/stats')).json()) as Stats;
    return [...s.idle_containers, ...s.in_use_containers].map((c) => c.name);
  };
  /** `n` containers, as the containers view shows them once it has caught up with the pool itself */
  const settledIds = async (n: number): Promise<string[]> => {
    let ids: string[] = [];
    await until(
      `${n} containers, shown as they are`,
      async () => {
        const live = runner()
          .poolView()
          .members.map((m) => m.containerId ?? m.id);
        ids = await sandboxIds();
        return ids.length === n && live.length === n && ids.every((id) => live.includes(id));
      },
      120_000,
    );
    return ids;
  };
  const sharedSize = () =>
    (runner().health().detail.shared_pool as { pool: { size: number; idle: number } }).pool;
  const post = (path: string, json?: unknown, headers: Record<string, string> = {}) =>
    t.api(path, { method: 'POST', headers, ...(json === undefined ? {} : { json }) });

  it("scales every worker's container pool to the target, 0 included, and the containers view shows it", async () => {
    const down = await post('/api/v1/containers/scale', { target: 0 });
    expect(down.status, await down.clone().text()).to.equal(200);
    const body = await down.json();
    expect(body).to.include({ current: 0, workers_expected: 1, workers_applied: 1 });
    expect(body.action).to.be.oneOf(['scale_down', 'no_change']);
    await until('no containers left', async () => (await sandboxIds()).length === 0);

    const up = await (await post('/api/v1/containers/scale', { target: 3 })).json();
    expect(up).to.include({ action: 'scale_up', previous: 0, current: 3, added: 3, removed: 0 });
    await until('three containers started', async () => (await sandboxIds()).length === 3, 120_000);
  });

  it('reloads: the idle containers are replaced by fresh ones', async () => {
    await post('/api/v1/containers/scale', { target: 2 });
    const before = await settledIds(2);
    const r = await post('/api/v1/containers/reload');
    expect(r.status, await r.clone().text()).to.equal(200);
    expect(await r.json()).to.deep.include({
      status: 'completed',
      idle_containers: 2,
      success: 2,
      failed: 0,
    });
    await until(
      'two fresh containers',
      async () => {
        const now = await sandboxIds();
        return now.length === 2 && now.every((id) => !before.includes(id));
      },
      120_000,
    );
  });

  it('scales and reloads the shared workers (the trusted shared pool) with the containers', async () => {
    const s = await post('/api/v1/workers/scale', { target_count: 3 });
    expect(s.status, await s.clone().text()).to.equal(200);
    expect(await s.json()).to.include({ current: 3, workers_applied: 1 });
    await until('three shared workers', () => sharedSize().size === 3 && sharedSize().idle === 3, 120_000);
    const r = await (await post('/api/v1/workers/reload')).json();
    expect(r.workers).to.include({ status: 'completed', idle_containers: 3 });
    expect(r.pool.status).to.be.oneOf(['completed', 'no_idle_containers']);
    expect(r).to.include({ workers_expected: 1, workers_applied: 1 });
  });

  it('restarts one idle function container by the name the containers view shows; an unknown name is a 404', async () => {
    await post('/api/v1/containers/scale', { target: 2 });
    const before = await settledIds(2);
    const [name, other] = before as [string, string];
    const r = await post(`/api/v1/system/containers/${encodeURIComponent(name)}/restart`);
    expect(r.status, await r.clone().text()).to.equal(200);
    expect(await r.json()).to.deep.equal({ status: 'restarted', container: name });
    await until(
      'a fresh container in its place',
      async () => {
        const now = await sandboxIds();
        return now.length === 2 && !now.includes(name) && now.includes(other);
      },
      120_000,
    );
    const unknown = await post('/api/v1/system/containers/no-such-container/restart');
    expect(unknown.status).to.equal(404);
    expect((await unknown.json()).field).to.equal('container_name');
  });

  it('retries and flushes dead letters over HTTP: an unknown job is a 404, an empty DLQ flushes none', async () => {
    const unknown = await post('/api/v1/queue/dlq/no-such-job/retry');
    expect(unknown.status).to.equal(404);
    expect((await unknown.json()).field).to.equal('job_id');
    const flushed = await post('/api/v1/queue/dlq/flush');
    expect(flushed.status, await flushed.clone().text()).to.equal(200);
    expect(await flushed.json()).to.deep.equal({ flushed: 0 });
  });

  it('names a bad target, and is for administrators', async () => {
    for (const [path, field, bad] of [
      ['/api/v1/containers/scale', 'target', -1],
      ['/api/v1/containers/scale', 'target', 1.5],
      ['/api/v1/workers/scale', 'target_count', 11],
      ['/api/v1/workers/scale', 'target_count', 'two'],
    ] as const) {
      const r = await post(path, { [field]: bad });
      expect(r.status, `${path} ${bad}`).to.equal(400);
      expect((await r.json()).field).to.contain(field);
    }
    const user = { 'x-api-key': await userKey(t, 'pool_scaler') };
    const bodies = {
      'containers/scale': { target: 1 },
      'containers/reload': undefined,
      'workers/scale': { target_count: 1 },
      'workers/reload': undefined,
      'system/containers/x/restart': undefined,
      'queue/dlq/x/retry': undefined,
      'queue/dlq/flush': undefined,
    };
    for (const [path, body] of Object.entries(bodies))
      expect((await post(`/api/v1/${path}`, body, user)).status, path).to.equal(403);
  });
});

describe('administrators: a pool command reaches every worker process', function () {
  this.timeout(180_000);
  const BEATS = { SINAS_WORKER_HEARTBEAT_MS: '200', SINAS_WORKER_TTL_MS: '10000' };
  let t: TestPlatform;
  let child: ChildProcess | undefined;
  before(async () => {
    t = await startTestPlatform(BEATS);
  });
  after(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await t?.stop();
  });

  it('this process and a worker process both apply a scale and report it', async () => {
    child = startProcess('worker', { DATABASE_URL: t.db.url, ...BEATS });
    await until(
      'both processes listed',
      async () => (await (await t.api('/api/v1/workers')).json()).length === 2,
      60_000,
    );
    const r = await t.api('/api/v1/containers/scale', { method: 'POST', json: { target: 1 } });
    expect(r.status, await r.clone().text()).to.equal(200);
    expect(await r.json()).to.include({ workers_expected: 2, workers_applied: 2 });
    const docker = t.platform.services.functionRunner!.health().sandbox === 'docker';
    if (!docker) return; // without Docker the other process's pool is not a container to count
    await until(
      'one container in each process',
      async () => (await (await t.api('/api/v1/containers/stats')).json()).total === 2,
      120_000,
    );
  });
});
