import { spawnSync } from 'node:child_process';
import { expect } from 'chai';
import type { FunctionRunner } from '../../src/runtime/functions/function-runner.js';
import { createFunctionRunner, runnerConfigFromEnv } from '../../src/runtime/functions/runners/index.js';
import { testDockerHost } from '../support/docker.js';
import { skipLoudly } from '../support/skip.js';
import { request } from './runner.contract.js';

/** bwrap where the host sandbox looks for it (its PATH is /usr/bin:/bin) */
const hasBwrap =
  spawnSync('sh', ['-c', 'command -v bwrap'], { stdio: 'ignore', env: { PATH: '/usr/bin:/bin' } }).status ===
  0;

describe('createFunctionRunner', function () {
  let runner: FunctionRunner | undefined;
  const warnings: string[] = [];
  const logger = { warn: (m: string) => warnings.push(m) };
  afterEach(async () => {
    await runner?.close();
    runner = undefined;
    warnings.length = 0;
  });

  it('uses Docker when DOCKER_HOST reaches a daemon with the image', async function () {
    if (!testDockerHost()) this.skip(); // covered loudly by runner-docker.test.ts
    runner = await createFunctionRunner({ dockerHost: testDockerHost(), logger });
    expect(runner.health().sandbox).to.equal('docker');
    expect((await runner.run(request('def handler(i, c):\n    return 2'))).containerId).to.match(
      /^[0-9a-f]{12}$/,
    );
  });

  it('falls back to bubblewrap, with a warning, when the Docker daemon is unreachable', async function () {
    if (!hasBwrap) return skipLoudly(this, 'bubblewrap', 'bwrap is not installed in /usr/bin or /bin');
    runner = await createFunctionRunner({ dockerHost: 'unix:///nonexistent/docker.sock', logger });
    expect(runner.health().sandbox).to.equal('bubblewrap');
    expect(warnings.join('\n')).to.match(/not using Docker: the Docker daemon is unreachable/);
    expect(await runner.run(request('def handler(i, c):\n    return 3'))).to.include({
      kind: 'completed',
      output: 3,
    });
  });

  it('ends with WebAssembly when neither Docker nor bubblewrap can sandbox (here: no Python on the host)', async () => {
    runner = await createFunctionRunner({
      dockerHost: 'unix:///nonexistent/docker.sock',
      python: '/nonexistent/python3',
      pool: { min: 1 },
      sharedPool: { pool: { min: 0 } },
      logger,
    });
    expect(runner.health().sandbox).to.equal('wasm');
    expect(runner.health().detail.note).to.match(/docker: .*; bubblewrap: /);
    expect(warnings.join('\n')).to.match(
      /bubblewrap cannot sandbox here .*using Python compiled to WebAssembly/,
    );
    expect(await runner.run(request('def handler(i, c):\n    return 4'))).to.include({
      kind: 'completed',
      output: 4,
    });
  });

  it('runs user code as a plain host process only when asked by name, with a loud warning', async () => {
    runner = await createFunctionRunner({ sandbox: 'unsafe-subprocess', pool: { min: 0 }, logger });
    expect(runner.health().sandbox).to.equal('unsafe-subprocess');
    expect(warnings.join('\n')).to.match(/UNSAFE: .*plain host processes/);
    expect(runner.health().detail.note).to.match(/UNSAFE/);
  });

  it('refuses unsafe-subprocess in production', async () => {
    const refused = await createFunctionRunner({
      sandbox: 'unsafe-subprocess',
      environment: 'production',
      logger,
    }).then(
      (r) => r.close().then(() => null),
      (err: Error) => err,
    );
    expect(refused?.message).to.match(/unsafe-subprocess is refused in production/);
    const fromEnv = runnerConfigFromEnv({
      SINAS_ENV: 'production',
      SINAS_FUNCTION_SANDBOX: 'unsafe-subprocess',
    });
    expect(fromEnv).to.include({ environment: 'production', sandbox: 'unsafe-subprocess' });
  });

  it('refuses the old `subprocess` setting, naming what to use instead, and any unknown one', () => {
    expect(() => runnerConfigFromEnv({ SINAS_FUNCTION_SANDBOX: 'subprocess' })).to.throw(
      /no longer accepted.*'wasm'.*'unsafe-subprocess'/,
    );
    expect(() => runnerConfigFromEnv({ SINAS_FUNCTION_SANDBOX: 'chroot' })).to.throw(
      /must be one of auto, docker, bubblewrap, wasm, unsafe-subprocess/,
    );
    expect(runnerConfigFromEnv({ SINAS_FUNCTION_SANDBOX: 'wasm' })).to.include({ sandbox: 'wasm' });
  });

  it('falls back, with a warning, when the daemon lacks the image (it never builds one itself)', async function () {
    if (!testDockerHost()) this.skip();
    runner = await createFunctionRunner({
      dockerHost: testDockerHost(),
      image: 'sinas-python:absent',
      logger,
    });
    expect(runner.health().sandbox).to.not.equal('docker');
    expect(warnings.join('\n')).to.match(/image sinas-python:absent is missing/);
  });

  it('routes shared-pool runs to trusted processes that see the shared secrets, the caller’s overriding', async () => {
    runner = await createFunctionRunner({
      sandbox: 'unsafe-subprocess',
      sharedPool: { secrets: { SHARED: 'from-env', API_KEY: 'shared-value' } },
      logger,
    });
    const code = 'def handler(i, context):\n    return context["secrets"]';
    const o = await runner.run(request(code, { sharedPool: true }));
    expect(o).to.include({ kind: 'completed' });
    expect(o.kind === 'completed' && o.output).to.deep.equal({ SHARED: 'from-env', API_KEY: 'do-not-leak' });
    const sandboxed = await runner.run(request('def handler(i, context):\n    return "secrets" in context'));
    expect(sandboxed).to.include({ kind: 'completed', output: false });
    expect(runner.health().detail).to.have.property('shared_pool');
  });

  it('input() pauses in the shared pool too', async () => {
    runner = await createFunctionRunner({ sandbox: 'unsafe-subprocess', logger });
    const code = 'def handler(i, c):\n    return input("ok?")';
    expect(await runner.run(request(code, { sharedPool: true }))).to.include({
      kind: 'awaiting_input',
      prompt: 'ok?',
    });
    expect(await runner.run(request(code, { sharedPool: true, answers: ['yes'] }))).to.include({
      output: 'yes',
    });
  });

  it('reads its configuration from SINAS_* variables', () => {
    const config = runnerConfigFromEnv({
      DOCKER_HOST: 'unix:///a.sock',
      SINAS_DOCKER_HOST: 'unix:///b.sock',
      SINAS_SHARED_POOL_SECRETS: '{"TOKEN":"t"}',
      SINAS_FUNCTION_POOL_MAX: '3',
      SINAS_FUNCTION_SANDBOX: 'bubblewrap',
    });
    expect(config).to.deep.include({ dockerHost: 'unix:///b.sock', sandbox: 'bubblewrap', pool: { max: 3 } });
    expect(config.sharedPool?.secrets).to.deep.equal({ TOKEN: 't' });
    expect(() => runnerConfigFromEnv({ SINAS_SHARED_POOL_SECRETS: '["x"]' })).to.throw(/JSON object/);
  });
});
