/**
 * The embedded database's start-up, in process: TCP only when asked for (and then password logins
 * only), a taken TCP port named with its holder and the fix, a data dir its server's OS user
 * cannot reach explained before anything starts.
 */
import { expect } from 'chai';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/runtime/embedded-postgres.js';
import { StartupError } from '../../src/runtime/startup-error.js';
import { freePort } from '../support/services.js';

async function loginCode(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url });
  c.on('error', () => {}); // a refused login is the answer
  try {
    await c.connect();
    return 'ok';
  } catch (err) {
    return (err as { code?: string }).code ?? (err as Error).message;
  } finally {
    await c.end().catch(() => {}); // never connected: nothing to end
  }
}

describe('embedded Postgres start-up', function () {
  this.timeout(120_000);
  const roots: string[] = [];
  const tmp = (mode = 0o711) => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'sinas-embedded-'));
    chmodSync(root, mode);
    roots.push(root);
    return path.join(root, 'data');
  };
  after(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });

  it('listens on loopback TCP only when asked, with password logins only', async () => {
    const dataDir = tmp();
    const port = await freePort();
    const db = await startEmbeddedPostgres({ dataDir, port, tcp: true, log: () => {} });
    try {
      const pw = readFileSync(path.join(dataDir, 'postgres-sinas.password'), 'utf8').trim();
      expect(await loginCode(`postgres://sinas:${pw}@127.0.0.1:${port}/sinas`)).to.equal('ok');
      expect(await loginCode(`postgres://postgres:postgres@127.0.0.1:${port}/sinas`)).to.equal('28P01');
    } finally {
      await db.stop();
    }
  });

  it('names the holder of a taken TCP port and how to fix it', async () => {
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const err = await startEmbeddedPostgres({ dataDir: tmp(), port, tcp: true, log: () => {} }).then(
        async (db) => {
          await db.stop();
          return undefined;
        },
        (e: unknown) => e,
      );
      expect(err).to.be.instanceOf(StartupError);
      const e = err as StartupError;
      expect(e.why).to.contain(`TCP port ${port}`).and.contain('in use');
      if (process.platform === 'linux') expect(e.why).to.contain(`pid ${process.pid}`);
      expect(e.fix).to.contain('SINAS_EMBEDDED_PG_PORT');
      expect(e.detail).to.contain('postgres.log');
    } finally {
      holder.close();
    }
  });

  it("explains a data dir the server's OS user cannot reach", async function () {
    if (process.getuid?.() !== 0) this.skip(); // only root runs the server as another user
    const err = await startEmbeddedPostgres({ dataDir: tmp(0o700), log: () => {} }).then(
      async (db) => {
        await db.stop();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(StartupError);
    expect((err as StartupError).why).to.contain("OS user 'postgres' cannot reach");
    expect((err as StartupError).fix).to.contain('SINAS_DATA_DIR');
  });
});
