/**
 * Several api and worker processes side by side on one database: a write through one API is
 * readable at once through the other, while the projections run in two separate worker processes.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freshDatabase, type TestDatabase } from '../support/pg.js';
import { ADMIN_KEY, type JsonResponse } from '../support/platform.js';
import { freePort, waitForPort } from '../support/services.js';
import { startProcess } from '../support/role-process.js';

describe('api and worker processes side by side', function () {
  this.timeout(120_000);
  let db: TestDatabase;
  const children: ChildProcess[] = [];
  const ports: number[] = [];

  before(async () => {
    db = await freshDatabase();
    for (let i = 0; i < 2; i++) children.push(startProcess('worker', { DATABASE_URL: db.url }));
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      ports.push(port);
      children.push(startProcess('api', { DATABASE_URL: db.url, PORT: String(port) }));
    }
    await Promise.all(ports.map((p) => waitForPort(p, 60_000)));
  });

  after(async () => {
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGTERM');
          }),
      ),
    );
    await db.drop();
  });

  const call = (i: number, path: string, init: RequestInit = {}): Promise<JsonResponse> =>
    fetch(`http://127.0.0.1:${ports[i]}${path}`, {
      ...init,
      headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json', ...(init.headers ?? {}) },
    });

  it('reads through one API what was just written through the other', async () => {
    for (let n = 0; n < 20; n++) {
      const writer = n % 2;
      const res = await call(writer, '/api/v1/agents', {
        method: 'POST',
        body: JSON.stringify({ namespace: 'mp', name: `a${n}` }),
      });
      expect(res.status).to.equal(201);
      expect(res.headers.get('sinas-consistency')).to.equal(null);
      const got = await call(1 - writer, `/api/v1/agents/mp/a${n}`);
      expect(got.status, `a${n} via the other API`).to.equal(200);
      const put = await call(1 - writer, `/api/v1/agents/mp/a${n}`, {
        method: 'PUT',
        body: JSON.stringify({ description: 'x' }),
      });
      expect(put.status).to.equal(200);
      expect((await (await call(writer, `/api/v1/agents/mp/a${n}`)).json()).description).to.equal('x');
    }
  });

  it('serves through one API a file uploaded through the other (contents in Postgres, not on a host)', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 5);
    const form = new FormData();
    form.append('name', 'shared.bin');
    form.append('file', new Blob([bytes]), 'shared.bin');
    const up = await fetch(`http://127.0.0.1:${ports[0]}/files/mp/files/upload`, {
      method: 'POST',
      headers: { 'x-api-key': ADMIN_KEY },
      body: form,
    });
    expect(up.status).to.equal(201);
    const down = await call(1, '/files/mp/files/shared.bin/content');
    expect(down.status).to.equal(200);
    expect(Buffer.from(await down.arrayBuffer()).equals(bytes)).to.equal(true);
  });

  it('keeps one winner when both APIs race to create the same agent', async () => {
    const results = await Promise.all(
      [0, 1, 0, 1].map((i) =>
        call(i, '/api/v1/agents', {
          method: 'POST',
          body: JSON.stringify({ namespace: 'mp', name: 'race' }),
        }),
      ),
    );
    expect(results.map((r) => r.status).sort()).to.deep.equal([201, 409, 409, 409]);
    const versions = await (await call(0, '/api/v1/agents/mp/race/versions')).json();
    expect(versions).to.have.length(1);
  });
});
