/**
 * A compile that does not end on its own never leaves a component pending forever: a worker
 * SIGKILLed mid-compile takes its job along, and the sweep asks for the build again (another worker
 * compiles it) or, when its tries keep dying, records an `error` saying why; a compiler that crashes
 * is retried and its last attempt records an `error` naming the crash.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCheckpoint } from '../../src/projections/checkpoints.js';
import { sweepComponentBuilds } from '../../src/runtime/components/compile-sweep.js';
import { InProcessQueue } from '../../src/runtime/queue/in-process-queue.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';
import { spawnWorker } from '../support/worker-process.js';

const source = (word: string) => `export default function C() { return <p>${word}</p>; }`;

describe('component compiles that crash', function () {
  this.timeout(240_000);
  let t: TestPlatform;
  let dir: string;
  const workers: ChildProcess[] = [];
  /** the sweep's own queue: the job it adds here runs nowhere; the workers' reactor enqueues it there */
  const queue = new InProcessQueue();
  const mark = () => path.join(dir, 'compiling');
  const startWorker = (env: Record<string, string> = {}) => {
    const w = spawnWorker(t.db.url, {
      entry: 'test/support/compile-worker.ts',
      env: { TEST_COMPILE_MARK: mark(), ...env },
    });
    workers.push(w);
    return w;
  };
  /** every pending build counts as lost: the test says when a worker died */
  const sweep = () =>
    sweepComponentBuilds({ pool: t.platform.services.pool, store: t.platform.services.eventStore, queue }, 0);
  /** creates it and waits for a worker to project it; returns the position of its creation */
  const create = async (name: string, code: string) => {
    const r = await t.api('/api/v1/components', {
      method: 'POST',
      json: { namespace: 'crash', name, source_code: code },
    });
    expect(r.status).to.equal(201);
    // a worker process starting on a busy machine can take a while
    const path = `/api/v1/components/crash/${name}`;
    await until(`${name} projected`, async () => (await t.api(path)).status === 200, 100_000);
    return BigInt(r.headers.get('sinas-position')!);
  };
  const status = async (name: string) =>
    (await (await t.api(`/api/v1/components/crash/${name}`)).json()) as {
      compile_status: string;
      compile_errors: { text: string }[] | null;
    };
  const ended = async (name: string) => {
    await until(`${name} built`, async () => (await status(name)).compile_status !== 'pending', 100_000);
    return status(name);
  };
  const compiling = async (what: string) => {
    await until(`the compile of ${what} to begin`, () => existsSync(mark()), 100_000);
    expect(readFileSync(mark(), 'utf8')).to.contain(what);
    rmSync(mark());
  };

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'sinas-compile-crash-'));
    t = await startTestPlatform({ SINAS_ROLE: 'api' });
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await queue.close();
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a build whose worker was SIGKILLed mid-compile is found by the sweep and compiled by another worker', async () => {
    const first = startWorker({ TEST_COMPILER: 'hang' });
    const created = await create('killed', source('killed'));
    await compiling('killed');
    // the reactor has moved past the create: a new worker would not compile it again on its own
    await until('the compile reactor past the create', async () => {
      const at = await readCheckpoint(t.platform.services.pool, 'reactor_component_compile');
      return at !== undefined && at.position >= created;
    });
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect((await status('killed')).compile_status).to.equal('pending');

    startWorker();
    expect(await sweep()).to.equal(1);
    const built = await ended('killed');
    expect(built.compile_status).to.equal('success');
    expect(await sweep(), 'nothing pending is left').to.equal(0);
  });

  it('a compiler that crashes is retried, and its last attempt records an error naming the crash', async () => {
    await create('crashing', `// CRASH_COMPILER\n${source('crashing')}`);
    const built = await ended('crashing');
    expect(built.compile_status).to.equal('error');
    expect(built.compile_errors![0]!.text).to.equal(
      'the compiler failed 3 times: the esbuild service stopped',
    );
  });

  it('a build whose tries keep dying ends as an error after the sweep asked twice', async () => {
    await create('hanging', `// HANG_COMPILER\n${source('hanging')}`);
    await compiling('hanging');
    expect(await sweep()).to.equal(1); // asks again (the worker hangs on it once more)
    expect(await sweep()).to.equal(1); // and again
    expect((await status('hanging')).compile_status).to.equal('pending');
    expect(await sweep()).to.equal(1); // then gives up
    const built = await status('hanging');
    expect(built.compile_status).to.equal('error');
    expect(built.compile_errors![0]!.text).to.match(
      /^the compile never finished: its worker stopped 3 times/,
    );
    expect(await sweep()).to.equal(0);
  });
});
