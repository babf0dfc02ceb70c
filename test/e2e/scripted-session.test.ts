/**
 * Issue 5's scripted session: log in by code, create an API key, create a secret, run a shared-pool
 * function that reads it, delete the secret — then no plaintext secret, code or token is anywhere
 * in the event store, the tables or the logs.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { ensureUser, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { capturedLog, containsAny, everyTableAsText } from '../support/secrets.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';

const READS_SECRET = `
import hashlib
def handler(input_data, context):
    value = context["secrets"]["SESSION_SECRET"]
    return {"length": len(value), "sha256": hashlib.sha256(value.encode()).hexdigest()}
`;

describe('a scripted session leaves no plaintext secret anywhere', function () {
  this.timeout(120_000);
  const { log, lines } = capturedLog();
  let t: TestPlatform;
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtp();
    t = await startTestPlatform({ SMTP_URL: smtp.url, SMTP_FROM: 'Sinas <login@sinas.test>' }, { log });
  });
  after(async () => {
    await t?.stop();
    await smtp?.stop();
  });

  it('logs in by code, makes a key and a secret, runs a shared-pool function on it, deletes it: nothing leaks', async () => {
    const secretValue = `session-secret-${randomUUID()}`;
    const responses: string[] = [];
    const call = async (path: string, init: RequestInit & { json?: unknown } = {}, token?: string) => {
      const headers = new Headers(init.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      const r = await t.api(path, { ...init, headers });
      const text = await r.text();
      responses.push(text);
      return { status: r.status, body: text ? JSON.parse(text) : undefined };
    };
    // an administrator lets the user in and lets them use the trusted pool
    const userId = await ensureUser(t, 'session@example.com');
    const trusted = await call('/api/v1/roles', {
      method: 'POST',
      json: { name: 'PoolUsers', permissions: { 'sinas.functions/sess/reads.execute:all': true } },
    });
    expect(trusted.status).to.equal(201);
    for (const role of ['Users', 'PoolUsers'])
      expect(
        (await call(`/api/v1/roles/${role}/members`, { method: 'POST', json: { user_id: userId } })).status,
      ).to.equal(201);
    expect(
      (
        await call('/api/v1/functions', {
          method: 'POST',
          json: {
            namespace: 'sess',
            name: 'reads',
            code: READS_SECRET,
            shared_pool: true,
            input_schema: { type: 'object' },
          },
        })
      ).status,
    ).to.equal(201);

    // 1. login by code
    const login = await fetch(`${t.url}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'session@example.com' }),
    });
    const { session_id } = (await login.json()) as { session_id: string };
    const code = smtp.codeFor('session@example.com');
    const verify = await fetch(`${t.url}/auth/verify-otp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ session_id, otp_code: code }),
    });
    const tokens = (await verify.json()) as { access_token: string; refresh_token: string };
    expect(verify.status).to.equal(200);
    const access = tokens.access_token as string;
    responses.push(JSON.stringify({ ...tokens, access_token: '', refresh_token: '' }));

    // 2. an API key, made with the access token
    const key = await fetch(`${t.url}/api/v1/api-keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${access}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'session key' }),
    });
    expect(key.status).to.equal(201);
    const apiKey = ((await key.json()) as { key: string }).key;

    // 3. a private secret, made with the API key
    const secret = await fetch(`${t.url}/api/v1/secrets`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'SESSION_SECRET', value: secretValue, visibility: 'private' }),
    });
    expect(secret.status).to.equal(201);
    responses.push(await secret.text());

    // 4. the shared-pool function reads it (it returns a digest, not the value)
    const run = await fetch(`${t.url}/functions/sess/reads/execute`, {
      method: 'POST',
      headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ input: {} }),
    });
    const ran = (await run.json()) as { status: string; result: { length: number } };
    responses.push(JSON.stringify(ran));
    expect(ran.status).to.equal('success');
    expect(ran.result.length).to.equal(secretValue.length);

    // 5. delete the secret
    const deleted = await fetch(`${t.url}/api/v1/secrets/SESSION_SECRET`, {
      method: 'DELETE',
      headers: { 'x-api-key': apiKey },
    });
    expect(deleted.status).to.equal(204);

    // nothing anywhere: events, tables, logs, responses (the key and tokens were shown once, by design)
    const store = t.platform.services.eventStore;
    const events = await store.readAll({ maxCount: 100_000 });
    const eventText = JSON.stringify(events.map((e) => [e.streamName, e.type, e.data, e.metadata]));
    const pool = t.platform.services.pool;
    const tables = await everyTableAsText(pool);
    const logText = lines.join('');
    // the scans see the session (so an empty result means something)
    expect(eventText).to.contain('SESSION_SECRET');
    expect(tables).to.contain('session@example.com');
    expect(logText).to.contain('/api/v1/secrets');
    const plaintexts = [secretValue, code, tokens.refresh_token, access, apiKey];
    expect(containsAny(eventText, plaintexts), 'events').to.deep.equal([]);
    expect(containsAny(tables, plaintexts), 'tables').to.deep.equal([]);
    expect(containsAny(logText, plaintexts), 'logs').to.deep.equal([]);
    expect(containsAny(responses.join('\n'), [secretValue]), 'responses').to.deep.equal([]);
  });
});
