/**
 * Credentials end with their user and with their login: deactivating or deleting a user stops their
 * API keys, refresh tokens and access tokens at once in the API process that handled it, and within
 * 5 s in a second API process on the same database; reactivating brings none of them back. A
 * logout (or a refresh token presented twice) ends that login's access tokens too, everywhere.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { DEFAULT_ROLES, grantsOnSome } from '../../src/commands/identity/permissions.js';
import {
  ADMIN_KEY,
  ensureUser,
  startTestPlatform,
  TEST_ENCRYPTION_KEY,
  TEST_JWT_SECRET,
  userKey,
  type JsonResponse,
  type TestPlatform,
} from '../support/platform.js';
import { freePort, waitForPort } from '../support/services.js';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { parseSse } from '../support/sse-frames.js';
import { until } from '../support/until.js';

/** how long another process may take to refuse a revoked credential (the promise to users) */
const ELSEWHERE_MS = 5_000;

interface Tokens {
  readonly access_token: string;
  readonly refresh_token: string;
}

/** An SSE response: its status once open, and its frames once the server ends it (a test that hangs fails). */
function openStream(url: string, headers: Record<string, string>) {
  const res = fetch(url, { headers });
  const ended = res.then(async (r) => parseSse(await r.text()));
  return { opened: res, ended };
}

const key = (k: string) => ({ 'x-api-key': k });
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('credentials end with their user and their login, in every API process', function () {
  this.timeout(240_000);
  let t: TestPlatform;
  let smtp: TestSmtp;
  let second: ChildProcess | undefined;
  /** the second API process's base URL */
  let far = '';

  before(async () => {
    smtp = await startSmtp();
    t = await startTestPlatform({
      SMTP_URL: smtp.url,
      SINAS_LOGIN_RATE_PER_IP: '1000',
      SINAS_VERIFY_RATE_PER_IP: '1000',
      SINAS_LOGIN_RATE_PER_EMAIL: '1000',
    });
    const port = await freePort();
    second = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        ...process.env,
        SINAS_ROLE: 'api',
        LOG_LEVEL: 'warn',
        DATABASE_URL: t.db.url,
        PORT: String(port),
        HOST: '127.0.0.1',
        SINAS_ADMIN_API_KEY: ADMIN_KEY,
        SINAS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
        SINAS_JWT_SECRET: TEST_JWT_SECRET,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    await waitForPort(port, 90_000);
    far = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    const child = second;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    await t?.stop();
    await smtp?.stop();
  });

  const post = (base: string, path: string, json: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(json),
    }) as Promise<JsonResponse>;
  /** what `GET /chats` (the caller's chats) answers with these headers */
  const chats = async (base: string, headers: Record<string, string>) =>
    (await fetch(`${base}/chats`, { headers })).status;
  const refresh = (base: string, token: string) => post(base, '/auth/refresh', { refresh_token: token });

  async function logIn(email: string): Promise<Tokens> {
    const r = await post(t.url, '/auth/login', { email });
    expect(r.status, await r.clone().text()).to.equal(200);
    const { session_id } = await r.json();
    const v = await post(t.url, '/auth/verify-otp', { session_id, otp_code: smtp.codeFor(email) });
    expect(v.status, await v.clone().text()).to.equal(200);
    return v.json();
  }

  /** a user of the Users role with an API key and a login, each checked to work on both processes */
  async function holder(name: string) {
    const apiKey = await userKey(t, name);
    const id = await ensureUser(t, `${name}@example.com`);
    const tokens = await logIn(`${name}@example.com`);
    for (const base of [t.url, far]) {
      expect(await chats(base, key(apiKey)), `the key on ${base}`).to.equal(200);
      expect(await chats(base, bearer(tokens.access_token)), `the token on ${base}`).to.equal(200);
    }
    return { id, apiKey, ...tokens };
  }
  const setActive = async (id: string, active: boolean) =>
    expect((await t.api(`/api/v1/users/${id}`, { method: 'PATCH', json: { active } })).status).to.equal(200);

  it('deactivating stops the API key, the refresh token and the access token at once; reactivating revives none', async () => {
    const u = await holder('dee');
    await setActive(u.id, false);
    expect(await chats(t.url, key(u.apiKey)), 'API key').to.equal(401);
    expect(await chats(t.url, bearer(u.access_token)), 'access token').to.equal(401);
    expect((await refresh(t.url, u.refresh_token)).status, 'refresh token').to.equal(401);

    await setActive(u.id, true);
    expect(await chats(t.url, key(u.apiKey)), 'API key after reactivation').to.equal(401);
    expect(await chats(t.url, bearer(u.access_token)), 'access token after reactivation').to.equal(401);
    expect((await refresh(t.url, u.refresh_token)).status, 'refresh token after reactivation').to.equal(401);
    const listed = await (await t.api('/api/v1/api-keys')).json();
    const row = listed.find((k: { user_id: string }) => k.user_id === u.id);
    expect(row).to.include({ is_active: false });
    // what the user gets after the reactivation works
    const fresh = await logIn('dee@example.com');
    expect(await chats(t.url, bearer(fresh.access_token))).to.equal(200);
    expect((await refresh(t.url, fresh.refresh_token)).status).to.equal(200);
  });

  it('deleting stops the API key, the refresh token and the access token at once', async () => {
    const u = await holder('del');
    expect((await t.api(`/api/v1/users/${u.id}`, { method: 'DELETE' })).status).to.equal(204);
    expect(await chats(t.url, key(u.apiKey)), 'API key').to.equal(401);
    expect(await chats(t.url, bearer(u.access_token)), 'access token').to.equal(401);
    expect((await refresh(t.url, u.refresh_token)).status, 'refresh token').to.equal(401);
  });

  it('in another API process, deactivation and deletion stop every credential within 5 s', async () => {
    const off = await holder('faroff');
    const gone = await holder('fargone');
    await setActive(off.id, false);
    expect((await t.api(`/api/v1/users/${gone.id}`, { method: 'DELETE' })).status).to.equal(204);
    for (const u of [off, gone]) {
      // refresh tokens are checked in the database on every use: refused at once
      expect((await refresh(far, u.refresh_token)).status, 'refresh token').to.equal(401);
      await until(
        `the API key of ${u.id} refused elsewhere`,
        async () => (await chats(far, key(u.apiKey))) === 401,
        ELSEWHERE_MS,
      );
      await until(
        `the access token of ${u.id} refused elsewhere`,
        async () => (await chats(far, bearer(u.access_token))) === 401,
        ELSEWHERE_MS,
      );
    }
    await setActive(off.id, true);
    expect(await chats(far, key(off.apiKey)), 'API key after reactivation').to.equal(401);
    expect(await chats(far, bearer(off.access_token)), 'access token after reactivation').to.equal(401);
  });

  it("logout ends that login's access tokens (refreshed ones too) at once, and elsewhere within 5 s; other logins live on", async () => {
    await holder('lou');
    const first = await logIn('lou@example.com');
    const other = await logIn('lou@example.com');
    const r = await refresh(t.url, first.refresh_token);
    expect(r.status).to.equal(200);
    const refreshed: Tokens = await r.json();
    for (const base of [t.url, far])
      expect(await chats(base, bearer(first.access_token)), base).to.equal(200);

    expect((await post(t.url, '/auth/logout', { refresh_token: refreshed.refresh_token })).status).to.equal(
      204,
    );
    for (const token of [first.access_token, refreshed.access_token]) {
      const res = (await fetch(`${t.url}/chats`, { headers: bearer(token) })) as JsonResponse;
      expect(res.status).to.equal(401);
      expect((await res.json()).detail).to.contain('revoked');
      await until(
        'the logged-out access token refused elsewhere',
        async () => (await chats(far, bearer(token))) === 401,
        ELSEWHERE_MS,
      );
    }
    for (const base of [t.url, far])
      expect(await chats(base, bearer(other.access_token)), `another login on ${base}`).to.equal(200);
  });

  it('an open event stream ends with an error once its credential no longer holds: deactivation, here and elsewhere, and logout', async () => {
    const u = await holder('sal');
    const mine = { ...key(u.apiKey), 'content-type': 'application/json' };
    const made = await fetch(`${t.url}/api/v1/agents`, {
      method: 'POST',
      headers: mine,
      body: JSON.stringify({ namespace: 'sal', name: 'bot' }),
    });
    expect(made.status, await made.clone().text()).to.equal(201);
    await until(
      'the agent projected',
      async () => (await fetch(`${t.url}/api/v1/agents/sal/bot`, { headers: mine })).status === 200,
    );
    const chat = (await (
      await fetch(`${t.url}/agents/sal/bot/chats`, { method: 'POST', headers: mine, body: '{}' })
    ).json()) as { id: string };
    const login = await logIn('sal@example.com');
    const streams = {
      'API key here': openStream(`${t.url}/chats/${chat.id}/events`, key(u.apiKey)),
      'access token elsewhere': openStream(`${far}/chats/${chat.id}/events`, bearer(u.access_token)),
      'a logged-out login': openStream(`${t.url}/chats/${chat.id}/events`, bearer(login.access_token)),
    };
    for (const [what, s] of Object.entries(streams)) expect((await s.opened).status, what).to.equal(200);
    expect((await post(t.url, '/auth/logout', { refresh_token: login.refresh_token })).status).to.equal(204);
    const loggedOut = await streams['a logged-out login'].ended;
    expect(loggedOut.at(-1)?.event, 'the logged-out stream').to.equal('error');
    await setActive(u.id, false);
    for (const what of ['API key here', 'access token elsewhere'] as const) {
      const frames = await streams[what].ended;
      expect(frames.at(-1)?.event, what).to.equal('error');
      expect(frames.at(-1)?.data, what).to.contain('401');
    }
  });

  it('names on every signed-in route a permission the Users role can put in a narrowed key', () => {
    const scoped = t.platform.routes.flatMap((r) =>
      r.access && 'signedIn' in r.access && r.access.signedIn !== 'any credential'
        ? [{ route: `${r.method.toUpperCase()} ${r.path}`, scope: r.access.signedIn }]
        : [],
    );
    expect(scoped.length).to.be.greaterThan(20);
    const ungrantable = scoped.filter((s) => !s.scope.some((p) => grantsOnSome(DEFAULT_ROLES.Users, p)));
    // the reference gives Users only reads on saved queries and stores (§1.5): writing one takes a
    // role an administrator grants, so these name a permission Admins (or such a role) hold
    // and components are written by administrators, as in the original (§5.9)
    const withheld = [
      ...['queries', 'stores', 'components'].flatMap((kind) =>
        ['POST', 'PUT', 'PATCH', 'DELETE'].map((m) =>
          m === 'POST' ? `POST /api/v1/${kind}` : `${m} /api/v1/${kind}/:namespace/:name`,
        ),
      ),
      'POST /api/v1/components/:namespace/:name/compile',
      'POST /api/v1/components/:namespace/:name/shares',
      'DELETE /api/v1/components/:namespace/:name/shares/:token',
    ];
    for (const route of withheld)
      expect(
        scoped.find((s) => s.route === route)?.scope.some((p) => grantsOnSome(DEFAULT_ROLES.Admins, p)),
      ).to.equal(true, route);
    expect(ungrantable.map((s) => s.route).filter((r) => !withheld.includes(r))).to.deep.equal([]);
  });

  it("a refresh token presented twice ends its login's access tokens too", async () => {
    await ensureUser(t, 'reu@example.com');
    const login = await logIn('reu@example.com');
    const next: Tokens = await (await refresh(t.url, login.refresh_token)).json();
    expect(await chats(t.url, bearer(next.access_token))).to.equal(200);
    expect((await refresh(t.url, login.refresh_token)).status).to.equal(401); // the copy comes back
    expect(await chats(t.url, bearer(next.access_token))).to.equal(401);
    expect(await chats(t.url, bearer(login.access_token))).to.equal(401);
  });
});
