/**
 * `npm run bench [-- <name>...]`: starts embedded Postgres (unless BENCH_DATABASE_URL is set) and, for
 * the function benches, Docker (test/support/docker.ts), runs
 * each benchmark in its own process (bench/one.ts) on a fresh database, and prints one JSON object
 * per line on stdout — nothing else there; progress goes to stderr. Always exits 0.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startDocker } from '../test/support/docker.js';
import { startEmbeddedPostgres, type RunningService } from '../test/support/services.js';
import { BENCHES, benchName } from './benches.js';
import { emit, errorMessage, log, quietConsole } from './io.js';

const ONE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'one.ts');

/** Runs one benchmark in a child process; passes its JSON lines through. */
function runChild(name: string, databaseUrl: string): Promise<void> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, ONE, name], {
      env: { ...process.env, BENCH_DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let printed = false;
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const parsed = JSON.parse(line) as { bench?: unknown };
        if (typeof parsed?.bench !== 'string') throw new Error('no bench field');
        process.stdout.write(`${line}\n`);
        printed = true;
      } catch {
        process.stderr.write(`${line}\n`);
      }
    });
    child.on('close', (code, signal) => {
      if (!printed)
        emit({ bench: name, skipped: `benchmark process exited (${signal ?? code}) without a result` });
      resolve();
    });
    child.on('error', (err) => {
      if (!printed) emit({ bench: name, skipped: `could not start: ${err.message}` });
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2).map(benchName);
  const names = wanted.length ? wanted : Object.keys(BENCHES);
  const known = names.filter((n) => n in BENCHES);
  for (const n of names.filter((n) => !(n in BENCHES))) {
    emit({ bench: n, skipped: `unknown benchmark; known: ${Object.keys(BENCHES).join(', ')}` });
  }
  if (known.length === 0) return;
  const started: RunningService[] = [];
  try {
    let url = process.env.BENCH_DATABASE_URL;
    if (!url) {
      log('starting embedded Postgres');
      const pg = await startEmbeddedPostgres({ socket: true });
      started.push(pg);
      url = pg.url;
    }
    if (known.some((n) => n.startsWith('function_') || n === 'webhook_sync')) {
      // the function runner benches use Docker when there is one (a private dockerd, like npm test)
      const docker = await startDocker(log).catch((err: Error) => ({ host: null, why: err.message }));
      if (docker.host === null)
        log(`no docker daemon (${docker.why}); function benches use the fallback sandbox`);
      else {
        if (docker.service) started.push(docker.service);
        process.env.DOCKER_HOST = docker.host;
      }
    }
    for (const name of known) {
      const t0 = Date.now();
      log(`${name}: start`);
      await runChild(name, url);
      log(`${name}: done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
  } catch (err) {
    log(`bench run failed: ${errorMessage(err)}`);
    for (const n of known) emit({ bench: n, skipped: `services unavailable: ${errorMessage(err)}` });
  } finally {
    for (const s of started.reverse()) await s.stop().catch((err) => log(`stop: ${errorMessage(err)}`));
  }
}

quietConsole();
await main().catch((err) => log(`bench run failed: ${errorMessage(err)}`));
process.exit(0);
