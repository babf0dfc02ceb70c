/**
 * The Postgres links of the escalation chain (issue 12, finding 1), tried by a user's function on
 * each runner this machine has: beside an embedded database started exactly as `npm start` starts
 * it, the function cannot open a TCP connection to its port on 127.0.0.1, cannot reach its unix
 * socket, and cannot read the data dir's encryption key, JWT secret or database password files.
 * A runner the machine lacks is skipped loudly; a new runner is one more entry in RUNNERS.
 */
import { expect } from 'chai';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadJwtSecret } from '../../src/runtime/auth/access-tokens.js';
import { loadKeyring } from '../../src/runtime/cipher.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/runtime/embedded-postgres.js';
import type { FunctionRunner } from '../../src/runtime/functions/function-runner.js';
import { createFunctionRunner, type SandboxChoice } from '../../src/runtime/functions/runners/index.js';
import { testDockerHost } from '../support/docker.js';
import { freePort } from '../support/services.js';
import { skipLoudly } from '../support/skip.js';
import { request } from './runner.contract.js';

interface RunnerCase {
  readonly sandbox: SandboxChoice;
  /** why this runner cannot be tried here, if it cannot */
  readonly unavailable?: () => string | undefined;
}

const RUNNERS: readonly RunnerCase[] = [
  { sandbox: 'docker', unavailable: () => (testDockerHost() ? undefined : 'no Docker daemon') },
  { sandbox: 'bubblewrap' },
  { sandbox: 'wasm' },
  {
    // no namespaces: only file modes and the socket directory keep it out, and only because a root
    // platform runs each worker as a uid of its own; as any other user it is the platform's user
    sandbox: 'unsafe-subprocess',
    unavailable: () =>
      process.getuid?.() === 0 ? undefined : 'not root: the plain subprocess runs as the platform user',
  },
];

const PROBE = `
import socket

def attempt(f):
    try:
        return f()
    except Exception as e:
        return type(e).__name__ + ": " + str(e)

def tcp(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(("127.0.0.1", port))
        return "connected"
    finally:
        s.close()

def unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    try:
        s.connect(path)
        return "connected"
    finally:
        s.close()

def read(path):
    with open(path, "rb") as f:
        f.read(1)
    return "read"

def handler(input_data, context):
    out = {"tcp": attempt(lambda: tcp(input_data["port"])), "unix": attempt(lambda: unix(input_data["socket"]))}
    for f in input_data["files"]:
        out[f] = attempt(lambda: read(f))
    return out
`;

describe('a function cannot reach the embedded database or the data dir secrets', function () {
  this.timeout(300_000);
  let root: string;
  let dataDir: string;
  let db: EmbeddedDatabase;
  let port: number;

  before(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'sinas-escape-'));
    chmodSync(root, 0o711); // as root, the server's 'postgres' user must pass through to the data dir
    dataDir = path.join(root, 'data');
    port = await freePort(); // the port an old install listened on: nothing may answer there
    db = await startEmbeddedPostgres({ dataDir, port, log: () => {} });
    loadKeyring(undefined, [], 'development', dataDir, () => {});
    loadJwtSecret(undefined, 'development', dataDir, () => {});
  });

  after(async () => {
    await db?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  for (const c of RUNNERS) {
    describe(`on the ${c.sandbox} runner`, () => {
      let runner: FunctionRunner | undefined;
      before(async function () {
        const why = c.unavailable?.();
        if (why) return skipLoudly(this, c.sandbox, why);
        try {
          runner = await createFunctionRunner({
            sandbox: c.sandbox,
            dockerHost: testDockerHost(),
            pool: { min: 0, max: 1 },
          });
        } catch (err) {
          skipLoudly(this, c.sandbox, (err as Error).message);
        }
      });
      after(async () => {
        await runner?.close();
      });

      it('gets no TCP connection, no socket and no secret file', async () => {
        const files = [
          'encryption.key',
          'jwt.secret',
          'postgres-superuser.password',
          'postgres-sinas.password',
        ].map((f) => path.join(dataDir, f));
        const socket = path.join(db.layout.socketDir, `.s.PGSQL.${port}`);
        const outcome = await runner!.run(
          request(PROBE, { functionName: 'probe', input: { port, socket, files }, timeoutMs: 60_000 }),
        );
        expect(outcome.kind, JSON.stringify(outcome)).to.equal('completed');
        const out = (outcome as { output: Record<string, string> }).output;
        expect(out.tcp, 'TCP to the database port').to.not.equal('connected');
        expect(out.unix, 'the database socket').to.not.equal('connected');
        for (const f of files) expect(out[f], f).to.not.equal('read');
      });
    });
  }
});
