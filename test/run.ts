/**
 * `npm test`: starts embedded Postgres (and redis-server and a Docker daemon when installed), runs every
 * test/**\/*.test.ts with mocha, stops the services, and ends with one line
 * `N passed, N failed, N skipped`. Exit code non-zero when anything failed or no test ran.
 * Extra args are test file globs/paths: `npm test -- test/unit`.
 * A rejection nobody handled fails the test that was running (and the run): in a process it
 * would be an unhandled rejection, which ends a server (issue 20).
 */
import Mocha from 'mocha';
import { readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startDocker, type DockerSetup } from './support/docker.js';
import { startEmbeddedPostgres, startRedis, type RunningService } from './support/services.js';

const args = process.argv.slice(2);
const grep = process.env.TEST_GREP;
const roots = args.length ? args : ['test'];
const files = roots.flatMap((r) => (r.endsWith('.ts') ? [r] : findTests(r))).sort();

function findTests(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return name === 'support' ? [] : findTests(p);
    return name.endsWith('.test.ts') ? [p] : [];
  });
}

const started: RunningService[] = [];
async function main(): Promise<number> {
  if (!process.env.TEST_DATABASE_URL) {
    const pg = await startEmbeddedPostgres();
    started.push(pg);
    process.env.TEST_DATABASE_URL = pg.url;
  }
  if (!process.env.TEST_REDIS_URL) {
    const redis = await startRedis();
    if (redis) {
      started.push(redis);
      process.env.TEST_REDIS_URL = redis.url;
    } else {
      process.stderr.write(
        '\n\x1b[33;1m!!!!!!!! SKIPPED: redis-server is not installed; Redis suites will skip\x1b[0m\n',
      );
    }
  }
  await setUpDocker();
  const mocha = new Mocha({ timeout: 60_000, reporter: 'spec', ...(grep ? { grep } : {}) });
  for (const f of files) mocha.addFile(path.resolve(f));
  await mocha.loadFilesAsync();
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const failures: { title: string; error: string }[] = [];
  await new Promise<void>((resolve) => {
    const runner = mocha.run(() => resolve());
    failOnUnhandledRejection(runner, failures, counts);
    runner.on('pass', () => counts.passed++);
    runner.on('fail', (t, err: Error) => {
      counts.failed++;
      failures.push({ title: t.fullTitle(), error: String(err?.stack ?? err) });
    });
    runner.on('pending', () => counts.skipped++);
  });
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync('test-artifacts/results.json', JSON.stringify({ ...counts, failures }, null, 2));
  process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  return counts.failed > 0 || counts.passed === 0 ? 1 : 0;
}

/**
 * Mocha forwards a rejection from the code under test to the process's listeners and, with none,
 * it would pass unnoticed: this one says so loudly and counts a failure named after the test that
 * was running, so the run fails.
 */
function failOnUnhandledRejection(
  runner: Mocha.Runner,
  failures: { title: string; error: string }[],
  counts: { failed: number },
): void {
  const seen = new WeakSet<Promise<unknown>>(); // heard directly and again as mocha re-emits it
  process.on('unhandledRejection', (reason, promise) => {
    if (seen.has(promise)) return;
    seen.add(promise);
    const err = reason instanceof Error ? reason : new Error(`unhandled rejection: ${String(reason)}`);
    const during = runner.currentRunnable?.fullTitle() ?? 'outside any test';
    process.stderr.write(
      `\n\x1b[31;1m!!!!!!!! UNHANDLED REJECTION during "${during}": ${String(err.stack ?? err)}\x1b[0m\n`,
    );
    counts.failed++;
    failures.push({ title: `unhandled rejection during: ${during}`, error: String(err.stack ?? err) });
  });
}

/** DOCKER_HOST for the function runner suites: the given daemon, or a private dockerd (test/support/docker.ts). */
async function setUpDocker(): Promise<void> {
  const log = (m: string) => process.stderr.write(`[docker] ${m}\n`);
  const setup: DockerSetup = await startDocker(log).catch((err: Error) => ({ host: null, why: err.message }));
  if (setup.host !== null) {
    if (setup.service) started.push(setup.service);
    process.env.DOCKER_HOST = setup.host;
  } else {
    process.stderr.write(
      `\n\x1b[33;1m!!!!!!!! SKIPPED: no docker daemon (${setup.why}); Docker suites will skip\x1b[0m\n`,
    );
  }
}

let code = 1;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`test run failed: ${String((err as Error)?.stack ?? err)}\n`);
} finally {
  for (const s of started.reverse()) await s.stop().catch(() => {});
}
process.exit(code);
