/**
 * Outbound event webhooks against a real receiver on 127.0.0.1 (allow-listed): ordered, signed
 * delivery of chat events; retries that the delivery log shows; replay; owner filtering; SSRF
 * refusals; a secret that is shown once and stored sealed.
 */
import { expect } from 'chai';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

interface Received {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

/** A receiver recording every request; `failFirst(path, n)` answers 500 to the next n requests there. */
async function startReceiver() {
  const received: Received[] = [];
  const failing = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      const left = failing.get(path) ?? 0;
      if (left > 0) {
        failing.set(path, left - 1);
        res.writeHead(500).end('not now');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path, headers: req.headers as Record<string, string>, body, json: JSON.parse(body) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    at: (path: string) => received.filter((r) => r.path === path),
    failFirst: (path: string, n: number) => failing.set(path, n),
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Verifies a Standard Webhooks signature with our own HMAC. */
function signatureValid(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signed = `${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`;
  const want = createHmac('sha256', key).update(signed).digest();
  return r.headers['webhook-signature']!.split(' ').some((s) => {
    const [v, sig] = s.split(',');
    const got = Buffer.from(sig ?? '', 'base64');
    return v === 'v1' && got.length === want.length && timingSafeEqual(got, want);
  });
}

const until = async <T>(what: string, f: () => T | undefined | false, ms = 20_000): Promise<T> => {
  for (const end = Date.now() + ms; Date.now() < end;) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
};

describe('event webhooks', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  before(async () => {
    rx = await startReceiver();
    t = await startTestPlatform({
      SINAS_WEBHOOK_ALLOWLIST: '127.0.0.1',
      SINAS_WEBHOOK_RETRY_BASE_MS: '50',
      SINAS_WEBHOOK_RETRY_MAX_MS: '200',
      SINAS_WEBHOOK_FAILING_AFTER: '2',
    });
    alice = { 'x-api-key': await userKey(t, 'hook-alice') };
    bob = { 'x-api-key': await userKey(t, 'hook-bob') };
    for (const headers of [alice, bob]) {
      const r = await t.api('/api/v1/agents', {
        method: 'POST',
        headers,
        json: { namespace: headers === alice ? 'hka' : 'hkb', name: 'talker' },
      });
      expect(r.status).to.equal(201);
    }
  });
  after(async () => {
    await t?.stop();
    await rx?.stop();
  });

  const subscribe = async (headers: Record<string, string>, body: object) => {
    const r = await t.api('/api/v1/event-subscriptions', { method: 'POST', headers, json: body });
    expect(r.status, await r.clone().text()).to.equal(201);
    return r.json();
  };
  /** a chat with one answered message; returns the chat id */
  const chat = async (headers: Record<string, string>, content: string) => {
    const ns = headers === alice ? 'hka' : 'hkb';
    const id = (
      await (await t.api(`/agents/${ns}/talker/chats`, { method: 'POST', headers, json: {} })).json()
    ).id as string;
    const r = await t.api(`/chats/${id}/messages`, { method: 'POST', headers, json: { content } });
    expect(r.status).to.equal(200);
    return id;
  };

  it("delivers the owner's chat events in commit order with valid Standard Webhooks signatures, and no one else's", async () => {
    const sub = await subscribe(alice, { url: `${rx.url}/alice`, categories: ['chat'] });
    expect(sub.secret).to.match(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(sub.scope).to.equal('own');
    const admin = await subscribe({}, { url: `${rx.url}/admin`, categories: ['chat'] });
    expect(admin.scope).to.equal('all');

    const bobChat = await chat(bob, 'bob here');
    const aliceChat = await chat(alice, 'hello hooks');
    const done = (path: string, chatId: string) =>
      rx
        .at(path)
        .some((r) => r.json.type === 'AssistantMessageCompleted' && r.json.data.stream === `chat-${chatId}`);
    await until('alice’s reply', () => done('/alice', aliceChat));
    await until('bob’s reply at the admin receiver', () => done('/admin', bobChat));
    // bob's reply may commit before alice's chat begins: the admin's deliveries of hers can still be on their way
    await until('alice’s reply at the admin receiver', () => done('/admin', aliceChat));

    const got = rx.at('/alice');
    const streams = new Set(got.map((r) => r.json.data.stream));
    expect([...streams]).to.deep.equal([`chat-${aliceChat}`]);
    expect(got.map((r) => r.json.type)).to.include.members([
      'ChatCreated',
      'UserMessagePosted',
      'AssistantMessageCompleted',
    ]);
    const positions = got.map((r) => r.json.data.position as number);
    expect(positions).to.deep.equal([...positions].sort((a, b) => a - b));
    expect(new Set(positions).size).to.equal(positions.length);
    for (const r of got) {
      expect(signatureValid(sub.secret, r), 'signature').to.equal(true);
      expect(r.headers['webhook-id']).to.equal(r.json.data.id);
      expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).to.be.lessThan(60);
      expect(r.json.data).to.include.keys(
        'id',
        'type',
        'stream',
        'revision',
        'position',
        'created_at',
        'data',
        'metadata',
      );
    }
    // signed with another subscription's secret, it does not verify
    expect(signatureValid(admin.secret, got[0]!)).to.equal(false);
    const adminStreams = new Set(rx.at('/admin').map((r) => r.json.data.stream));
    expect(adminStreams).to.include(`chat-${bobChat}`).and.to.include(`chat-${aliceChat}`);

    // the checkpoint commits just after the receiver answered: wait for it to catch up
    let view = await (await t.api(`/api/v1/event-subscriptions/${sub.id}`, { headers: alice })).json();
    for (let i = 0; i < 200 && view.delivery.position < positions.at(-1)!; i++) {
      await new Promise((r) => setTimeout(r, 25));
      view = await (await t.api(`/api/v1/event-subscriptions/${sub.id}`, { headers: alice })).json();
    }
    expect(view.delivery.status).to.equal('ok');
    expect(view.delivery.position).to.be.at.least(positions.at(-1)!);
    // disable the admin subscription so later tests' chats do not pile up there
    await t.api(`/api/v1/event-subscriptions/${admin.id}`, { method: 'PATCH', json: { active: false } });
  });

  it('retries a failing receiver with backoff, in order, and logs every attempt', async () => {
    rx.failFirst('/flaky', 3);
    const sub = await subscribe(alice, {
      url: `${rx.url}/flaky`,
      categories: ['chat'],
      event_types: ['UserMessagePosted', 'AssistantMessageCompleted'],
    });
    await chat(alice, 'are you there');
    await until('both events', () => rx.at('/flaky').length >= 2);
    expect(rx.at('/flaky').map((r) => r.json.type)).to.deep.equal([
      'UserMessagePosted',
      'AssistantMessageCompleted',
    ]);
    // each attempt is logged just after the receiver answered: wait for the last one's entry
    const secondId = rx.at('/flaky')[1]!.json.data.id;
    const readLog = async () =>
      (await (
        await t.api(`/api/v1/event-subscriptions/${sub.id}/deliveries`, { headers: alice })
      ).json()) as {
        event_id: string;
        attempt: number;
        status_code: number;
        error: string | null;
      }[];
    let log = await readLog();
    for (let i = 0; i < 200 && !log.some((d) => d.event_id === secondId && d.status_code === 204); i++) {
      await new Promise((r) => setTimeout(r, 25));
      log = await readLog();
    }
    const first = log.filter((d: { event_id: string }) => d.event_id === rx.at('/flaky')[0]!.json.data.id);
    expect(first.map((d: { attempt: number }) => d.attempt)).to.deep.equal([1, 2, 3, 4]);
    expect(first.map((d: { status_code: number }) => d.status_code)).to.deep.equal([500, 500, 500, 204]);
    expect(first[0]!.error).to.equal('HTTP 500');
    expect(log.at(-1)!.status_code).to.equal(204);
  });

  it('reports a subscription whose receiver keeps failing as failing, and catches up once it recovers', async () => {
    rx.failFirst('/down', 1000);
    const sub = await subscribe(alice, {
      url: `${rx.url}/down`,
      categories: ['chat'],
      event_types: ['ChatCreated'],
    });
    await chat(alice, 'anyone');
    const view = async () =>
      (await (await t.api(`/api/v1/event-subscriptions/${sub.id}`, { headers: alice })).json()).delivery;
    for (let i = 0; i < 400 && (await view())?.status !== 'failing'; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect((await view()).status).to.equal('failing');
    expect(rx.at('/down')).to.have.length(0);
    rx.failFirst('/down', 0);
    await until('the event after recovery', () => rx.at('/down').length === 1);
    for (let i = 0; i < 100 && (await view()).status !== 'ok'; i++)
      await new Promise((r) => setTimeout(r, 25));
    expect((await view()).status).to.equal('ok');
  });

  it('replays from a position: the events are delivered again', async () => {
    const sub = await subscribe(alice, { url: `${rx.url}/replay`, categories: ['chat'] });
    await chat(alice, 'replay me');
    await until('the reply', () => rx.at('/replay').some((r) => r.json.type === 'AssistantMessageCompleted'));
    const firstRun = rx.at('/replay').map((r) => r.json.data.id as string);
    const from = rx.at('/replay')[0]!.json.data.position as number;
    const r = await t.api(`/api/v1/event-subscriptions/${sub.id}/replay?from=${from}`, {
      method: 'POST',
      headers: alice,
    });
    expect(r.status).to.equal(202);
    await until('the replay', () => rx.at('/replay').length >= firstRun.length * 2);
    expect(
      rx
        .at('/replay')
        .slice(firstRun.length)
        .map((x) => x.json.data.id),
    ).to.deep.equal(firstRun);
  });

  it('refuses private, loopback, link-local and non-http URLs with a 400 naming url', async () => {
    for (const url of [
      'http://10.0.0.1/x',
      'http://127.0.0.2/x', // loopback, just outside the allow-listed 127.0.0.1 (more: test/unit/outbound-guard)
      'http://192.0.2.1/', // documentation
      'http://[::a9fe:a9fe]/', // IPv4-compatible 169.254.169.254
      'http://[2002:a9fe:a9fe::]/', // 6to4 of 169.254.169.254
      'http://169.254.169.254/',
      'http://[::1]/',
      'http://192.168.0.10/',
      'ftp://127.0.0.1/',
      'not a url',
    ]) {
      const r = await t.api('/api/v1/event-subscriptions', { method: 'POST', headers: alice, json: { url } });
      expect(r.status, url).to.equal(400);
      expect((await r.json()).field, url).to.equal('url');
    }
    const sub = await subscribe(alice, { url: `${rx.url}/ok`, active: false });
    const patched = await t.api(`/api/v1/event-subscriptions/${sub.id}`, {
      method: 'PATCH',
      headers: alice,
      json: { url: 'http://169.254.169.254/latest' },
    });
    expect(patched.status).to.equal(400);
  });

  it("refuses scope 'all' to a non-admin, and hides others' subscriptions", async () => {
    const r = await t.api('/api/v1/event-subscriptions', {
      method: 'POST',
      headers: alice,
      json: { url: `${rx.url}/x`, scope: 'all', active: false },
    });
    expect(r.status).to.equal(403);
    const sub = await subscribe(alice, { url: `${rx.url}/x`, active: false });
    expect((await t.api(`/api/v1/event-subscriptions/${sub.id}`, { headers: bob })).status).to.equal(404);
    const bobs = await (await t.api('/api/v1/event-subscriptions', { headers: bob })).json();
    expect(bobs.map((s: { id: string }) => s.id)).to.not.include(sub.id);
  });

  it('never returns the secret after creation, and stores it only sealed', async () => {
    const sub = await subscribe(alice, { url: `${rx.url}/sealed`, active: false });
    const raw = sub.secret.slice('whsec_'.length);
    const listed = await (await t.api('/api/v1/event-subscriptions', { headers: alice })).text();
    const one = await (await t.api(`/api/v1/event-subscriptions/${sub.id}`, { headers: alice })).text();
    const patched = await (
      await t.api(`/api/v1/event-subscriptions/${sub.id}`, {
        method: 'PATCH',
        headers: alice,
        json: { description: 'd' },
      })
    ).text();
    for (const text of [listed, one, patched]) {
      expect(text).to.not.contain(raw);
      expect(text).to.not.contain('"secret"');
    }
    const events = await t.platform.services.eventStore.readStream(`eventsub-${sub.id}`);
    expect(events.map((e) => e.type)).to.deep.equal(['EventSubscriptionCreated', 'EventSubscriptionUpdated']);
    expect(JSON.stringify(events.map((e) => [e.data, e.metadata]))).to.not.contain(raw);
    const { rows } = await t.platform.services.pool.query(
      'SELECT secret::text FROM event_subscriptions WHERE id = $1',
      [sub.id],
    );
    expect(rows[0].secret).to.not.contain(raw);
  });
});
