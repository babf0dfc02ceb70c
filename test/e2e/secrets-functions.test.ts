/**
 * Secrets reach trusted shared-pool functions only, decrypted at run time: the shared secrets
 * overlaid with the executing user's private ones, over SINAS_SHARED_POOL_SECRETS as the lowest
 * fallback. Then the scan: after the whole scripted session, no plaintext is in any response body,
 * event, table or log line (the platform logs at `trace` into a captured destination).
 */
import { expect } from 'chai';
import { createHash, randomUUID } from 'node:crypto';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { capturedLog, containsAny, everyTableAsText } from '../support/secrets.js';

const READER = `
import hashlib

def handler(input_data, context):
    secrets = context.get("secrets") or {}
    value = secrets.get(input_data["name"])
    return {
        "names": sorted(secrets.keys()),
        "length": None if value is None else len(value),
        "sha256": None if value is None else hashlib.sha256(value.encode()).hexdigest(),
    }
`;
const SANDBOXED = `
def handler(input_data, context):
    return {"has_secrets": "secrets" in context}
`;

const sha = (v: string) => createHash('sha256').update(v).digest('hex');
const u = () => randomUUID().slice(0, 8);
const plain = {
  shared: `shared-token-${u()}`,
  alice: `alice-private-${u()}`,
  envToken: `env-token-${u()}`,
  envOnly: `env-only-${u()}`,
  updated: `updated-${u()}`,
  deleted: `deleted-${u()}`,
  refused: `refused-${u()}`,
  malformed: `malformed-${u()}`,
  idempotent: `idempotent-${u()}`,
};

describe('secrets in shared-pool function contexts, and the plaintext scan', function () {
  this.timeout(120_000);
  const { log, lines } = capturedLog();
  const bodies: string[] = [];
  let t: TestPlatform;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  before(async () => {
    t = await startTestPlatform(
      { SINAS_SHARED_POOL_SECRETS: JSON.stringify({ TOKEN: plain.envToken, FROM_ENV: plain.envOnly }) },
      { log },
    );
    // the administrator's functions run for users granted them (execute:own is for one's own)
    const grant = await t.api('/api/v1/roles', {
      method: 'POST',
      json: { name: 'SecRunners', permissions: { 'sinas.functions/sec/*.execute:all': true } },
    });
    expect(grant.status).to.equal(201);
    alice = { 'x-api-key': await userKey(t, 'alice', ['Users', 'SecRunners']) };
    bob = { 'x-api-key': await userKey(t, 'bob', ['Users', 'SecRunners']) };
  });
  after(async () => t?.stop());

  /** every response body of the session is kept for the scan */
  const call = async (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const r = await t.api(path, init);
    const text = await r.text();
    bodies.push(text);
    return { status: r.status, body: text ? JSON.parse(text) : null };
  };
  const secret = (json: unknown, headers: Record<string, string> = {}) =>
    call('/api/v1/secrets', { method: 'POST', headers, json });
  const run = async (name: string, secretName: string, headers: Record<string, string> = {}) => {
    const r = await call(`/functions/sec/${name}/execute`, {
      method: 'POST',
      headers,
      json: { input: { name: secretName } },
    });
    expect(r.body.status, JSON.stringify(r.body)).to.equal('success');
    return r.body.result;
  };

  it('gives a shared-pool function the shared secrets, overridden by the caller’s private ones', async () => {
    const fn = await call('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'sec', name: 'reader', code: READER, shared_pool: true },
    });
    expect(fn.status).to.equal(201);
    expect((await secret({ name: 'TOKEN', value: plain.shared })).status).to.equal(201);
    expect(
      (await secret({ name: 'TOKEN', value: plain.alice, visibility: 'private' }, alice)).status,
    ).to.equal(201);

    const forAdmin = await run('reader', 'TOKEN');
    expect(forAdmin).to.include({ length: plain.shared.length, sha256: sha(plain.shared) });
    expect(forAdmin.names).to.include.members(['TOKEN', 'FROM_ENV']);
    expect(await run('reader', 'TOKEN', bob)).to.include({ sha256: sha(plain.shared) });
    expect(await run('reader', 'TOKEN', alice)).to.include({ sha256: sha(plain.alice) });
    // the environment's fallback is the lowest priority: the store's TOKEN wins, FROM_ENV shows through
    expect(await run('reader', 'FROM_ENV', bob)).to.include({ sha256: sha(plain.envOnly) });
  });

  it('decrypts at run time: updates and deletes show in the next run', async () => {
    expect((await secret({ name: 'CHANGING', value: plain.deleted }, bob)).status).to.equal(201);
    expect(await run('reader', 'CHANGING')).to.include({ sha256: sha(plain.deleted) });
    const put = await call('/api/v1/secrets/CHANGING', {
      method: 'PUT',
      headers: bob,
      json: { value: plain.updated },
    });
    expect(put.status).to.equal(200);
    expect(await run('reader', 'CHANGING')).to.include({ sha256: sha(plain.updated) });
    expect((await call('/api/v1/secrets/CHANGING', { method: 'DELETE', headers: bob })).status).to.equal(204);
    const gone = await run('reader', 'CHANGING');
    expect(gone).to.include({ sha256: null });
    expect(gone.names).not.to.include('CHANGING');
  });

  it('never gives secrets to a sandboxed function', async () => {
    const fn = await call('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'sec', name: 'boxed', code: SANDBOXED },
    });
    expect(fn.status).to.equal(201);
    expect(await run('boxed', 'TOKEN')).to.deep.equal({ has_secrets: false });
    expect(await run('boxed', 'TOKEN', alice)).to.deep.equal({ has_secrets: false });
  });

  it('leaves no plaintext in any response, event, table or log line after the session', async () => {
    // refused and malformed requests that carry values
    expect((await secret({ name: 'bad-name', value: plain.refused }, alice)).status).to.equal(400);
    const malformed = await t.api('/api/v1/secrets', {
      method: 'POST',
      headers: { ...alice, 'content-type': 'application/json' },
      body: `{"name":"MALFORMED","value":${plain.malformed}}`,
    });
    expect(malformed.status).to.equal(400);
    bodies.push(await malformed.text());
    // an idempotent create and its replay
    for (let i = 0; i < 2; i++) {
      const r = await call('/api/v1/secrets', {
        method: 'POST',
        headers: { ...alice, 'idempotency-key': 'create-once' },
        json: { name: 'ONCE', value: plain.idempotent },
      });
      expect(r.status).to.equal(201);
    }
    bodies.push(JSON.stringify((await call('/api/v1/secrets', { headers: alice })).body));
    await call('/api/v1/secrets/TOKEN', { headers: alice });
    await call('/api/openapi.json');

    const values = Object.values(plain);
    expect(lines.length).to.be.greaterThan(10); // the request log was captured
    expect(containsAny(bodies.join('\n'), values), 'responses').to.deep.equal([]);
    const events = await t.platform.services.eventStore.readAll();
    const raw = JSON.stringify(events, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    expect(raw).to.contain('SecretCreated');
    expect(containsAny(raw, values), 'events').to.deep.equal([]);
    const tables = await everyTableAsText(t.platform.services.pool);
    expect(tables).to.contain('== secret_keys');
    expect(containsAny(tables, values), 'tables').to.deep.equal([]);
    expect(containsAny(lines.join(''), values), 'logs').to.deep.equal([]);
  });
});
