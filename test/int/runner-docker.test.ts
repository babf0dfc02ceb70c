import { expect } from 'chai';
import type { FunctionRunner } from '../../src/runtime/functions/function-runner.js';
import { dockerClient, dockerUnavailable } from '../../src/runtime/functions/runners/docker-runner.js';
import { pythonImageName } from '../../src/runtime/functions/runners/harness-files.js';
import { createFunctionRunner } from '../../src/runtime/functions/runners/index.js';
import type { PoolStats } from '../../src/runtime/functions/runners/warm-pool.js';
import { testDockerHost } from '../support/docker.js';
import { skipLoudly } from '../support/skip.js';
import { until } from '../support/until.js';
import { request, runnerContract } from './runner.contract.js';

/** Skips the suite loudly unless a daemon answers and has the harness image. */
function requireDocker(ctx: Mocha.Context): Promise<void> {
  const host = testDockerHost();
  if (!host) return Promise.resolve(skipLoudly(ctx, 'docker', 'no DOCKER_HOST and no private dockerd'));
  return dockerUnavailable(dockerClient(host), pythonImageName()).then((why) => {
    if (why) skipLoudly(ctx, 'docker', why);
  });
}

const dockerRunner = (pool: Record<string, number> = {}) =>
  createFunctionRunner({
    sandbox: 'docker',
    dockerHost: testDockerHost(),
    pool: { min: 1, max: 4, ...pool },
  });

const poolOf = (runner: FunctionRunner) => runner.health().detail.pool as PoolStats;

describe('FunctionRunner contract: Docker pool', function () {
  before(async function () {
    await requireDocker(this);
  });
  runnerContract(() => dockerRunner(), { isolatesNetwork: true });
});

describe('Docker function runner', function () {
  let runner: FunctionRunner | undefined;
  before(async function () {
    await requireDocker(this);
  });
  afterEach(async () => {
    await runner?.close();
    runner = undefined;
  });

  const ok = 'def handler(i, c):\n    return 1';

  it('runs code in a locked-down container: non-root, read-only root, no caps, no network, limits, init', async () => {
    runner = await dockerRunner();
    const o = await runner.run(request(ok));
    const info = await dockerClient(testDockerHost()!).getContainer(o.containerId!).inspect();
    expect(info.Config.User).to.equal('10001:10001');
    expect(info.HostConfig).to.include({
      ReadonlyRootfs: true,
      NetworkMode: 'none',
      Init: true,
      PidsLimit: 64,
    });
    expect(info.HostConfig.CapDrop).to.deep.equal(['ALL']);
    expect(info.HostConfig.SecurityOpt).to.deep.equal(['no-new-privileges']);
    expect(info.HostConfig.Memory).to.equal(256 * 1024 * 1024);
    const whoami = await runner.run(
      request(
        'import os\ndef handler(i, c):\n    return [os.getuid(), os.access("/", os.W_OK), os.access("/tmp", os.W_OK)]',
      ),
    );
    expect(whoami).to.include({ kind: 'completed' }).and.have.deep.property('output', [10001, false, true]);
  });

  it('reuses a warm container for good runs and replaces it after a failure', async () => {
    runner = await dockerRunner();
    const a = await runner.run(request(ok));
    const b = await runner.run(request(ok));
    expect(b.containerId).to.equal(a.containerId);
    await runner.run(request('def handler(i, c):\n    raise RuntimeError("x")'));
    const c = await runner.run(request(ok));
    expect(c.containerId).to.not.equal(a.containerId);
  });

  it('recycles a container after maxRuns runs', async () => {
    runner = await dockerRunner({ maxRuns: 2 });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await runner.run(request(ok))).containerId);
    expect(ids[1]).to.equal(ids[0]);
    expect(ids[2]).to.not.equal(ids[0]);
  });

  it('waits a bounded time for a free container, then fails clearly', async function () {
    this.timeout(180_000);
    runner = await dockerRunner({ min: 1, max: 1, acquireTimeoutMs: 300 });
    // the one container warm, then held by a run that only ends when the test stops it
    await until('a warm container', () => poolOf(runner!).idle === 1, 120_000);
    const hold = new AbortController();
    const held = runner
      .run(
        request('import time\ndef handler(i, c):\n    time.sleep(3600)', { timeoutMs: 3_600_000 }),
        hold.signal,
      )
      .then(
        () => null,
        (e: Error) => e,
      );
    await until('the container to be busy', () => poolOf(runner!).busy === 1);
    const err = await runner.run(request(ok)).then(
      () => null,
      (e: Error) => e,
    );
    expect(err?.message).to.match(/no function worker became free within 300 ms/);
    hold.abort(new Error('released'));
    expect((await held)?.message).to.equal('released');
  });

  it('health() reports the docker sandbox with pool size, idle, hits and misses', async function () {
    this.timeout(180_000);
    runner = await dockerRunner({ min: 2 });
    await until('two warm containers', () => poolOf(runner!).idle >= 2, 120_000);
    await runner.run(request(ok));
    const h = runner.health();
    expect(h.sandbox).to.equal('docker');
    const pool = h.detail.pool as PoolStats;
    expect(pool.hits).to.be.at.least(1);
    expect(pool).to.have.property('misses');
    expect(pool).to.have.property('idle');
    expect(pool.size).to.be.at.least(2);
  });
});
