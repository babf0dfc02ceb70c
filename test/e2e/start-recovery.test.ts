/**
 * `npm start` on embedded Postgres heals and explains itself with no operator: it comes back after
 * SIGKILL (three times on one data dir, once with the Postgres left running as an older version
 * left it), a second instance on the data dir or the port says why and how to fix it without
 * harming the first, the bootstrap key is printed only once the server listens, and
 * `sinas admin-key reset` mints a new one with the server running or not.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../support/services.js';
import { runCli, sinasProcesses, startSinas, type SinasProcess } from '../support/sinas-process.js';
import { until } from '../support/until.js';

const HAS_PROC = existsSync('/proc/net/tcp');

function bootstrapKey(stderr: string): string | undefined {
  return /Bootstrap admin API key[^\n]*\n\s*\n\s*(sk-sinas-\S+)/.exec(stderr)?.[1];
}

const status = (s: SinasProcess, key: string) =>
  fetch(`${s.url}/api/v1/agents`, { headers: { 'x-api-key': key } }).then((r) => r.status);

/** The watchdog of the embedded server of `dataDir` (the `sh` that execs postgres forks it). */
function watchdogPids(dataDir: string): number[] {
  const cluster = path.join(dataDir, 'postgres');
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return argv[0] === '/bin/sh' && argv.includes('sinas-postgres') && argv.includes(cluster);
      } catch {
        return false; // gone while we looked
      }
    })
    .map(Number);
}

describe('npm start: crash recovery and start-up diagnosis', function () {
  this.timeout(600_000);
  const procs = sinasProcesses('sinas-start-');
  const tmp = (sub?: string) => procs.dataDir(sub);
  const start = (dir: string, port: number) => procs.start(dir, port);
  after(() => procs.cleanUp());

  it('comes back after SIGKILL, three times on one data dir, with no operator', async () => {
    const dir = tmp();
    const port = await freePort();
    let s = start(dir, port);
    await s.healthy();
    for (let trial = 1; trial <= 3; trial++) {
      // trial 2: the Postgres outlives its owner (its watchdog is gone, as with an older version)
      if (trial === 2 && HAS_PROC) {
        const pids = watchdogPids(dir);
        expect(pids, 'the embedded server has one watchdog').to.have.length(1);
        process.kill(pids[0]!, 'SIGKILL');
      }
      s.child.kill('SIGKILL');
      await s.exited;
      s = start(dir, port);
      await s.healthy(60_000); // a failure cutoff, not a speed requirement
      const health = (await (await fetch(`${s.url}/health`)).json()) as {
        ports: { database: { up: boolean } };
      };
      expect(health.ports.database.up, `trial ${trial}`).to.equal(true);
      if (trial === 2 && HAS_PROC) expect(s.stdout()).to.contain('was still running');
    }
    expect(await s.stop()).to.equal(0);
    expect(existsSync(path.join(dir, 'postgres', 'postmaster.pid')), 'Postgres stopped with it').to.equal(
      false,
    );

    // a postmaster.pid left by a crash, naming a live process that is not its Postgres
    writeFileSync(
      path.join(dir, 'postgres', 'postmaster.pid'),
      `${process.pid}\n${path.join(dir, 'postgres')}\n`,
    );
    s = start(dir, port);
    await s.healthy(60_000);
    expect(await s.stop()).to.equal(0);
  });

  it('a second instance on the data dir, or on a taken port, says why and how to fix it, and harms neither', async () => {
    const dirA = tmp();
    const portA = await freePort();
    const a = start(dirA, portA);
    await a.healthy();
    const key = bootstrapKey(a.stderr());
    expect(key, 'the first start prints the bootstrap key').to.be.a('string');

    const b = start(dirA, await freePort());
    expect(await b.exited).to.equal(1);
    expect(b.stderr()).to.contain(
      `the data directory ${path.resolve(dirA)} is in use by another Sinas process`,
    );
    if (HAS_PROC) expect(b.stderr()).to.contain(`pid ${a.child.pid}`);
    expect(b.stderr()).to.contain('how to fix').and.contain('SINAS_DATA_DIR');

    const dirC = tmp();
    const c = start(dirC, portA);
    expect(await c.exited).to.equal(1);
    expect(c.stderr()).to.contain(`port ${portA} is in use`).and.contain('set PORT=');
    if (HAS_PROC) expect(c.stderr()).to.contain(`pid ${a.child.pid}`);
    expect(c.stderr()).to.not.contain('TypeError');
    expect(bootstrapKey(c.stderr()), 'no key printed by a start that never listened').to.equal(undefined);
    expect(existsSync(path.join(dirC, 'postgres', 'postmaster.pid')), "c's Postgres stopped").to.equal(false);

    expect(await status(a, key!), 'the first instance is unharmed').to.equal(200);

    // the key c made but never showed was not kept: its next start that listens prints one
    const c2 = start(dirC, await freePort());
    await c2.healthy();
    const key2 = bootstrapKey(c2.stderr());
    expect(key2).to.be.a('string');
    expect(await status(c2, key2!)).to.equal(200);
    expect(await c2.stop()).to.equal(0);
    expect(await a.stop()).to.equal(0);
  });

  it('a data dir of another user is explained, not attempted', async function () {
    if (process.getuid?.() !== 0) this.skip(); // it takes root to run as another user here
    const dir = tmp();
    mkdirSync(dir, { mode: 0o755 }); // root's, read-only to everyone else
    const s = startSinas(dir, await freePort(), {}, { uid: 65534, gid: 65534 });
    procs.track(s);
    expect(await s.exited).to.equal(1);
    expect(s.stderr()).to.contain(`cannot create or write the data directory ${path.resolve(dir)}`);
    expect(s.stderr()).to.contain('belongs to uid 0').and.contain('SINAS_DATA_DIR');
  });

  it('sinas admin-key reset mints a new bootstrap key and revokes the old, with the server running or not', async () => {
    const dir = tmp();
    const port = await freePort();
    let s = start(dir, port);
    await s.healthy();
    const first = bootstrapKey(s.stderr())!;
    expect(await status(s, first)).to.equal(200);

    const live = await runCli(['admin-key', 'reset'], { SINAS_DATA_DIR: dir });
    expect(live.code, live.err).to.equal(0);
    const second = bootstrapKey(live.out.replace('New bootstrap', 'Bootstrap'));
    expect(second).to.be.a('string').and.not.equal(first);
    expect(await status(s, second!)).to.equal(200);
    await until('the old key to stop working', async () => (await status(s, first)) === 401, 30_000);
    expect(await s.stop()).to.equal(0);

    const offline = await runCli(['admin-key', 'reset'], { SINAS_DATA_DIR: dir });
    expect(offline.code, offline.err).to.equal(0);
    const third = bootstrapKey(offline.out.replace('New bootstrap', 'Bootstrap'));
    expect(third).to.be.a('string');

    s = start(dir, port);
    await s.healthy();
    expect(bootstrapKey(s.stderr()), 'a bootstrap key exists: none is printed').to.equal(undefined);
    expect(s.stdout()).to.not.contain('sk-sinas-');
    expect(await status(s, third!)).to.equal(200);
    expect(await status(s, second!)).to.equal(401);
    expect(await s.stop()).to.equal(0);

    // a configured key is the operator's to change, not the CLI's
    const configured = await runCli(['admin-key', 'reset'], {
      SINAS_DATA_DIR: dir,
      SINAS_ADMIN_API_KEY: 'sk-configured-0123456789',
    });
    expect(configured.code).to.equal(2);
    expect(configured.err).to.contain('SINAS_ADMIN_API_KEY is set');
  });
});
