/**
 * Login by one-time code over a real SMTP peer, access tokens (JWT) on the API, refresh-token
 * rotation with reuse detection, attempt and rate limits, security events, development and
 * production behaviour without SMTP, a function calling the API with its context's access token,
 * and the scan: no code or token in any event, table or log line.
 */
import { expect } from 'chai';
import { SignJWT } from 'jose';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { capturedLog, containsAny, everyTableAsText } from '../support/secrets.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import {
  ensureUser,
  startTestPlatform,
  TEST_JWT_SECRET,
  userKey,
  type JsonResponse,
  type TestPlatform,
} from '../support/platform.js';

const post = (t: TestPlatform, path: string, json: unknown, headers: Record<string, string> = {}) =>
  fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(json),
  }) as Promise<JsonResponse>;
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const me = (t: TestPlatform, token: string) =>
  fetch(`${t.url}/auth/me`, { headers: bearer(token) }) as Promise<JsonResponse>;

async function securityEvents(t: TestPlatform): Promise<RecordedEvent[]> {
  const all = await t.platform.services.eventStore.readAll();
  return all.filter((e) => e.streamName.startsWith('security-'));
}

/** login → the mailed code → verify; returns the verify response body */
async function logIn(t: TestPlatform, smtp: TestSmtp, email: string) {
  const r = await post(t, '/auth/login', { email });
  expect(r.status, await r.clone().text()).to.equal(200);
  const { session_id } = await r.json();
  const v = await post(t, '/auth/verify-otp', { session_id, otp_code: smtp.codeFor(email) });
  expect(v.status, await v.clone().text()).to.equal(200);
  return v.json();
}

const ME = `
import json, urllib.request

def handler(input_data, context):
    req = urllib.request.Request(input_data["base"] + "/auth/me",
                                 headers={"Authorization": "Bearer " + context["access_token"]})
    with urllib.request.urlopen(req, timeout=10) as r:
        me = json.loads(r.read())
    return {"email": me["email"], "context_email": context["user_email"]}
`;

describe('login by one-time code, access and refresh tokens', function () {
  this.timeout(120_000);
  const { log, lines } = capturedLog();
  const secrets: { codes: string[]; tokens: string[] } = { codes: [], tokens: [] };
  let t: TestPlatform;
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtp();
    t = await startTestPlatform(
      {
        SMTP_URL: smtp.url,
        SMTP_FROM: 'Sinas <login@sinas.test>',
        SINAS_LOGIN_RATE_PER_IP: '1000',
        SINAS_VERIFY_RATE_PER_IP: '1000',
        SINAS_LOGIN_RATE_PER_EMAIL: '1000',
      },
      { log },
    );
    await userKey(t, 'alice');
    await userKey(t, 'bob');
  });
  after(async () => {
    await t?.stop();
    await smtp?.stop();
  });
  const keep = <T extends { access_token?: string; refresh_token?: string }>(body: T): T => {
    for (const v of [body.access_token, body.refresh_token]) if (v) secrets.tokens.push(v);
    return body;
  };

  it('logs in with a mailed code, rotates the refresh token, and revokes the family when an old one comes back', async () => {
    const login = await post(t, '/auth/login', { email: '  Alice@Example.com ' });
    expect(login.status).to.equal(200);
    const { message, session_id } = await login.json();
    expect(message).to.equal('OTP sent to your email');
    const mail = smtp.messages.at(-1)!;
    expect(mail.to).to.deep.equal(['alice@example.com']);
    expect(mail.raw).to.contain('login@sinas.test');
    const code = smtp.codeFor('alice@example.com');
    secrets.codes.push(code);

    const v = await post(t, '/auth/verify-otp', { session_id, otp_code: code });
    expect(v.status).to.equal(200);
    const first = keep(await v.json());
    expect(first).to.include({ token_type: 'bearer', expires_in: 900 });
    expect(first.user).to.include({ email: 'alice@example.com' });
    expect(first.user.roles).to.include('Users');
    expect(first.user.last_login_at).to.be.a('string');
    const claims = JSON.parse(Buffer.from(first.access_token.split('.')[1], 'base64url').toString());
    expect(claims).to.include({ sub: first.user.id, email: 'alice@example.com', typ: 'access' });
    expect(claims.exp - claims.iat).to.equal(900);
    expect(claims.jti).to.be.a('string');
    expect(first.refresh_token).to.match(/^[\w-]{43}$/);

    const who = await me(t, first.access_token);
    expect(who.status).to.equal(200);
    const body = await who.json();
    expect(body).to.include({ email: 'alice@example.com', id: first.user.id });
    expect(body.last_login_at).to.be.a('string');
    // the code is single-use
    expect((await post(t, '/auth/verify-otp', { session_id, otp_code: code })).status).to.equal(400);

    const r1 = await post(t, '/auth/refresh', { refresh_token: first.refresh_token });
    expect(r1.status).to.equal(200);
    const second = keep(await r1.json());
    expect(second.refresh_token).to.not.equal(first.refresh_token);
    expect(second.access_token).to.not.equal(first.access_token);
    expect((await me(t, second.access_token)).status).to.equal(200);

    // the consumed token again: refused, and the whole family is revoked
    const reuse = await post(t, '/auth/refresh', { refresh_token: first.refresh_token });
    expect(reuse.status).to.equal(401);
    expect((await reuse.json()).detail).to.contain('already used');
    expect((await post(t, '/auth/refresh', { refresh_token: second.refresh_token })).status).to.equal(401);
    const reused = (await securityEvents(t)).filter((e) => e.type === 'RefreshTokenReused');
    expect(reused).to.have.length(1);
    expect(reused[0]!.data).to.include({ userId: first.user.id, revokedTokens: 2 });
    expect(reused[0]!.streamName).to.match(/^security-\d{4}-\d{2}-\d{2}$/);

    // logout: a new login's token is revoked; an unknown one is 404
    const third = keep(await logIn(t, smtp, 'alice@example.com'));
    secrets.codes.push(smtp.codeFor('alice@example.com'));
    expect((await post(t, '/auth/logout', { refresh_token: third.refresh_token })).status).to.equal(204);
    expect((await post(t, '/auth/refresh', { refresh_token: third.refresh_token })).status).to.equal(401);
    expect((await post(t, '/auth/logout', { refresh_token: 'not-a-token' })).status).to.equal(404);
    const logins = await t.platform.services.eventStore.readStream(`login-${first.user.id}`);
    expect(logins.map((e) => e.data.via)).to.deep.equal(['otp', 'refresh', 'otp']);
  });

  it('refuses an unknown email with 403 and records it with the email hashed', async () => {
    const r = await post(t, '/auth/login', { email: 'nobody@example.com' });
    expect(r.status).to.equal(403);
    expect((await r.json()).detail).to.equal('User not found. Contact your administrator.');
    const failed = (await securityEvents(t)).filter(
      (e) => e.type === 'LoginFailed' && e.data.reason === 'unknown_email',
    );
    expect(failed).to.have.length(1);
    expect(failed[0]!.data.emailHash).to.match(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(failed.map((e) => [e.data, e.metadata]))).to.not.contain('nobody');
  });

  it('kills a session after three tries, the right code included', async () => {
    const login = await post(t, '/auth/login', { email: 'bob@example.com' });
    const { session_id } = await login.json();
    const code = smtp.codeFor('bob@example.com');
    secrets.codes.push(code);
    const wrong = code === '000000' ? '111111' : '000000';
    for (let i = 0; i < 3; i++) {
      const v = await post(t, '/auth/verify-otp', { session_id, otp_code: wrong });
      expect(v.status).to.equal(400);
      expect((await v.json()).detail).to.equal('Invalid or expired OTP');
    }
    expect((await post(t, '/auth/verify-otp', { session_id, otp_code: code })).status).to.equal(400);
    const reasons = (await securityEvents(t))
      .filter((e) => e.type === 'LoginFailed' && e.data.sessionId === session_id)
      .map((e) => e.data.reason);
    expect(reasons).to.deep.equal(['wrong_code', 'wrong_code', 'wrong_code', 'attempts_exhausted']);
    // an unknown session and a malformed code
    expect(
      (await post(t, '/auth/verify-otp', { session_id: randomUUID(), otp_code: '123456' })).status,
    ).to.equal(400);
    expect((await post(t, '/auth/verify-otp', { session_id, otp_code: '12ab' })).status).to.equal(400);
  });

  it('refuses tampered, foreign, expired and malformed access tokens, and those of deactivated or deleted users', async () => {
    const { access_token } = keep(await logIn(t, smtp, 'alice@example.com'));
    secrets.codes.push(smtp.codeFor('alice@example.com'));
    const [h, p, s] = access_token.split('.') as [string, string, string];
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url');
    const tampered = await me(t, `${h}.${forged}.${s}`);
    expect(tampered.status).to.equal(401);
    expect((await tampered.json()).detail).to.contain('invalid access token');

    const sign = (secret: string, exp: number) =>
      new SignJWT({ email: payload.email, typ: 'access' })
        .setProtectedHeader({ alg: 'HS256' })
        .setSubject(payload.sub)
        .setIssuer('sinas')
        .setIssuedAt(exp - 900)
        .setExpirationTime(exp)
        .setJti(randomUUID())
        .sign(new TextEncoder().encode(secret));
    const now = Math.floor(Date.now() / 1000);
    expect((await me(t, await sign('another-secret-of-at-least-32-chars!!', now + 600))).status).to.equal(
      401,
    );
    const expired = await me(t, await sign(TEST_JWT_SECRET, now - 10));
    expect(expired.status).to.equal(401);
    expect((await expired.json()).detail).to.contain('expired');
    expect((await me(t, await sign(TEST_JWT_SECRET, now + 600))).status).to.equal(200);
    expect((await me(t, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.')).status).to.equal(401);

    const erinId = await ensureUser(t, 'erin@example.com');
    const erin = keep(await logIn(t, smtp, 'erin@example.com'));
    secrets.codes.push(smtp.codeFor('erin@example.com'));
    expect((await me(t, erin.access_token)).status).to.equal(200);
    const off = await t.api(`/api/v1/users/${erinId}`, { method: 'PATCH', json: { active: false } });
    expect(off.status).to.equal(200);
    expect((await me(t, erin.access_token)).status).to.equal(401);
    expect((await post(t, '/auth/refresh', { refresh_token: erin.refresh_token })).status).to.equal(401);
    expect((await post(t, '/auth/login', { email: 'erin@example.com' })).status).to.equal(403);

    const frankId = await ensureUser(t, 'frank@example.com');
    const frank = keep(await logIn(t, smtp, 'frank@example.com'));
    secrets.codes.push(smtp.codeFor('frank@example.com'));
    expect((await t.api(`/api/v1/users/${frankId}`, { method: 'DELETE' })).status).to.equal(204);
    expect((await me(t, frank.access_token)).status).to.equal(401);
  });

  it('gives a function run an access token of the triggering user that the API accepts', async () => {
    const fn = await t.api('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'login', name: 'whoami', code: ME, shared_pool: true },
    });
    expect(fn.status, await fn.clone().text()).to.equal(201);
    // the administrator's function runs for alice through a grant naming it
    const role = await t.api('/api/v1/roles', {
      method: 'POST',
      json: { name: 'WhoamiRunners', permissions: { 'sinas.functions/login/whoami.execute:all': true } },
    });
    expect(role.status).to.equal(201);
    const aliceId = await ensureUser(t, 'alice@example.com');
    const member = await t.api('/api/v1/roles/WhoamiRunners/members', {
      method: 'POST',
      json: { user_id: aliceId },
    });
    expect(member.status).to.equal(201);
    const { access_token } = keep(await logIn(t, smtp, 'alice@example.com'));
    secrets.codes.push(smtp.codeFor('alice@example.com'));
    const r = await post(
      t,
      '/functions/login/whoami/execute',
      { input: { base: t.url } },
      bearer(access_token),
    );
    const body = await r.json();
    expect(body.status, JSON.stringify(body)).to.equal('success');
    expect(body.result).to.deep.equal({ email: 'alice@example.com', context_email: 'alice@example.com' });
  });

  it('leaves no code or token in any event, table or log line after the session', async () => {
    expect(secrets.codes.length).to.be.greaterThan(4);
    expect(secrets.tokens.length).to.be.greaterThan(8);
    const events = await t.platform.services.eventStore.readAll();
    const raw = JSON.stringify(events, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    const tables = await everyTableAsText(t.platform.services.pool);
    expect(tables).to.contain('== refresh_tokens');
    const logs = lines.join('');
    expect(lines.length).to.be.greaterThan(10);
    for (const [where, text] of [
      ['events', raw],
      ['tables', tables],
      ['logs', logs],
    ] as const) {
      expect(containsAny(text, secrets.tokens), where).to.deep.equal([]);
      // nor any other JWT (the function run's token among them)
      expect(text.match(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/g), where).to.equal(null);
      // a code as a number of its own (not inside a longer run of digits, nor a timestamp's fraction)
      const codes = secrets.codes.filter((c) => new RegExp(`(?<![\\d.])${c}(?!\\d)`).test(text));
      expect(codes, where).to.deep.equal([]);
    }
  });
});

describe('login limits: expired codes and rate limits', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let smtp: TestSmtp;
  before(async () => {
    smtp = await startSmtp();
    t = await startTestPlatform({
      SMTP_URL: smtp.url,
      SINAS_OTP_TTL_MS: '800',
      SINAS_LOGIN_RATE_PER_IP: '4',
      SINAS_LOGIN_RATE_PER_EMAIL: '2',
      SINAS_VERIFY_RATE_PER_IP: '2',
    });
    await ensureUser(t, 'carol@example.com');
    await ensureUser(t, 'dave@example.com');
  });
  after(async () => {
    await t?.stop();
    await smtp?.stop();
  });

  it('refuses an expired code', async () => {
    const { session_id } = await (await post(t, '/auth/login', { email: 'carol@example.com' })).json();
    await new Promise((r) => setTimeout(r, 1200));
    const v = await post(t, '/auth/verify-otp', { session_id, otp_code: smtp.codeFor('carol@example.com') });
    expect(v.status).to.equal(400);
    const reasons = (await securityEvents(t)).map((e) => e.data.reason);
    expect(reasons).to.include('expired_code');
  });

  it('answers 429 past the per-email, per-IP and verify limits, recording one lockout per limit', async () => {
    expect((await post(t, '/auth/login', { email: 'carol@example.com' })).status).to.equal(200);
    const byEmail = await post(t, '/auth/login', { email: 'carol@example.com' });
    expect(byEmail.status).to.equal(429);
    expect(Number(byEmail.headers.get('retry-after'))).to.be.greaterThan(0);
    expect((await post(t, '/auth/login', { email: 'dave@example.com' })).status).to.equal(200);
    expect((await post(t, '/auth/login', { email: 'dave@example.com' })).status).to.equal(429);
    expect((await post(t, '/auth/login', { email: 'dave@example.com' })).status).to.equal(429);
    const session_id = randomUUID();
    expect((await post(t, '/auth/verify-otp', { session_id, otp_code: '123456' })).status).to.equal(400);
    expect((await post(t, '/auth/verify-otp', { session_id, otp_code: '123456' })).status).to.equal(429);
    const limits = (await securityEvents(t))
      .filter((e) => e.type === 'LoginRateLimited')
      .map((e) => e.data.limit);
    expect(limits).to.deep.equal(['login_per_email', 'login_per_ip', 'verify_per_ip']);
  });
});

describe('login without SMTP', function () {
  this.timeout(120_000);

  it('in development writes the code to the log, loudly, and bounds security events per IP', async () => {
    const { log, lines } = capturedLog();
    const t = await startTestPlatform(
      { SINAS_SECURITY_EVENTS_PER_MINUTE: '5', SINAS_LOGIN_RATE_PER_IP: '1000' },
      { log },
    );
    try {
      await ensureUser(t, 'dev@example.com');
      expect(lines.join('')).to.contain('no SMTP configured');
      const { session_id } = await (await post(t, '/auth/login', { email: 'dev@example.com' })).json();
      const line = lines.find((l) => l.includes('"loginCode"'));
      expect(line, 'the code line').to.be.a('string');
      const entry = JSON.parse(line!);
      expect(entry.msg).to.contain('DEVELOPMENT ONLY');
      expect(entry.level).to.equal(40);
      const v = await post(t, '/auth/verify-otp', { session_id, otp_code: entry.loginCode });
      expect(v.status).to.equal(200);

      // a flood of failures: five recorded, then one summary for the rest of the minute
      const second = new Date().getSeconds();
      if (second > 50) await new Promise((r) => setTimeout(r, (61 - second) * 1000));
      for (let i = 0; i < 12; i++)
        expect((await post(t, '/auth/login', { email: `flood${i}@example.com` })).status).to.equal(403);
      const types = (await securityEvents(t)).map((e) => e.type);
      expect(types.filter((x) => x === 'LoginFailed')).to.have.length(5);
      expect(types.filter((x) => x === 'SecurityEventsSuppressed')).to.have.length(1);
    } finally {
      await t.stop();
    }
  });

  it('in production refuses login with 503 and says why at start', async () => {
    const { log, lines } = capturedLog();
    const auditKey = generateKeyPairSync('ed25519')
      .privateKey.export({ type: 'pkcs8', format: 'pem' })
      .toString();
    const t = await startTestPlatform(
      { SINAS_ENV: 'production', SINAS_AUDIT_SIGNING_KEY: auditKey },
      { log },
    );
    try {
      await ensureUser(t, 'prod@example.com');
      expect(lines.join('')).to.contain('login by email is disabled');
      const r = await post(t, '/auth/login', { email: 'prod@example.com' });
      expect(r.status).to.equal(503);
      expect((await r.json()).detail).to.contain('no SMTP configured');
      expect(lines.join('')).to.not.contain('"loginCode"');
    } finally {
      await t.stop();
    }
  });
});
