/**
 * The trusted shared pool never runs as root: where the platform runs as root, each of its workers is a
 * fresh unprivileged uid, which cannot read the platform's own 0600 files (the data dir's encryption key
 * and JWT secret).
 */
import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadJwtSecret } from '../../src/runtime/auth/access-tokens.js';
import { loadKeyring } from '../../src/runtime/cipher.js';
import type { FunctionRunner } from '../../src/runtime/functions/function-runner.js';
import { createFunctionRunner } from '../../src/runtime/functions/runners/index.js';
import { request } from './runner.contract.js';

const WHO = `
import os
def read(p):
    try:
        with open(p) as f: return f.read()
    except OSError as e: return "error: " + type(e).__name__
def handler(i, c):
    return {"uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
            "key": read(i["key"]), "jwt": read(i["jwt"])}
`;

describe('shared pool workers', function () {
  let runner: FunctionRunner | undefined;
  let dataDir = '';
  before(async function () {
    if (process.getuid?.() !== 0) this.skip(); // not root: the workers are the platform's own user by design
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'sinas-data-'));
    chmodSync(dataDir, 0o755); // as a data dir made with the default umask: only the files' modes protect them
    loadKeyring(undefined, [], 'development', dataDir, () => {});
    loadJwtSecret(undefined, 'development', dataDir, () => {});
    runner = await createFunctionRunner({
      sandbox: 'unsafe-subprocess',
      pool: { min: 0, max: 1 },
      sharedPool: { pool: { min: 1, max: 2 } },
    });
  });
  after(async () => {
    await runner?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("run as an unprivileged uid that cannot read the data dir's encryption key or JWT secret", async () => {
    const input = { key: path.join(dataDir, 'encryption.key'), jwt: path.join(dataDir, 'jwt.secret') };
    const o = await runner!.run(request(WHO, { sharedPool: true, input }));
    expect(o.kind, JSON.stringify(o)).to.equal('completed');
    const out = (o as { output: Record<string, unknown> }).output;
    expect(out.uid).to.be.a('number').and.not.equal(0);
    expect(out.euid).to.equal(out.uid);
    expect(out.gid).to.not.equal(0);
    expect(out.groups).to.not.include(0);
    expect(out.key).to.equal('error: PermissionError');
    expect(out.jwt).to.equal('error: PermissionError');
  });
});
