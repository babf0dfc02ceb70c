/**
 * The original Sinas console against this API (issue 19): its own request shapes, written as plain
 * HTTP requests (read from the console's source; none of its code), and the response fields it
 * reads. Covered here: saving a function or agent with no icon chosen (`"icon": ""`), CORS for a
 * console served from its own origin, and the owner's email on chats.
 */
import { expect } from 'chai';
import { startTestPlatform, userKey, ADMIN_KEY, type TestPlatform } from '../support/platform.js';

const CONSOLE_ORIGIN = 'http://localhost:51245'; // the console's development server

/** The function editor's form as it sends it when nothing but name and code were filled in. */
const functionForm = (name: string) => ({
  namespace: 'default',
  name,
  description: '',
  code: 'def handler(input_data, context):\n    return {"result": "success"}',
  input_schema: { type: 'object', properties: {} },
  output_schema: {
    type: 'object',
    properties: { result: { type: 'string', description: 'Output result' } },
    required: ['result'],
  },
  icon: '',
  shared_pool: false,
  requires_approval: false,
  timeout: null,
});

describe('the original console against this API', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform();
  });
  after(async () => t?.stop());

  describe('an empty icon means no icon', () => {
    it('creates and saves a function from the editor with no icon chosen', async () => {
      const created = await t.api('/api/v1/functions', { method: 'POST', json: functionForm('no_icon') });
      expect(created.status, await created.clone().text()).to.equal(201);
      const body = await created.json();
      expect(body.icon).to.equal(null);
      expect(body.icon_url).to.equal(null);
      const saved = await t.api('/api/v1/functions/default/no_icon', {
        method: 'PUT',
        json: { ...functionForm('no_icon'), description: 'edited' },
      });
      expect(saved.status, await saved.clone().text()).to.equal(200);
      expect((await saved.json()).icon).to.equal(null);
    });

    it('accepts it on agents too, and still refuses an icon that is neither a URL nor a collection file', async () => {
      const agent = await t.api('/api/v1/agents', {
        method: 'POST',
        json: { namespace: 'default', name: 'plain', icon: '' },
      });
      expect(agent.status, await agent.clone().text()).to.equal(201);
      expect((await agent.json()).icon).to.equal(null);
      const bad = await t.api('/api/v1/functions', {
        method: 'POST',
        json: { ...functionForm('bad_icon'), icon: 'smiley' },
      });
      expect(bad.status).to.equal(400);
      expect((await bad.json()).field).to.match(/^icon/);
      const url = await t.api('/api/v1/functions', {
        method: 'POST',
        json: { ...functionForm('url_icon'), icon: 'url:https://example.com/i.png' },
      });
      expect((await url.json()).icon_url).to.equal('https://example.com/i.png');
    });
  });

  describe('CORS', () => {
    it("answers the console's preflight and its calls from another origin (development: any origin)", async () => {
      const preflight = await fetch(`${t.url}/api/v1/functions`, {
        method: 'OPTIONS',
        headers: {
          origin: CONSOLE_ORIGIN,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get('access-control-allow-origin')).to.equal('*');
      expect(preflight.headers.get('access-control-allow-methods')).to.contain('POST');
      expect(preflight.headers.get('access-control-allow-headers')).to.contain('authorization');
      expect(preflight.headers.get('access-control-allow-credentials')).to.equal(null);
      const call = await fetch(`${t.url}/api/v1/agents`, {
        headers: { origin: CONSOLE_ORIGIN, 'x-api-key': ADMIN_KEY },
      });
      expect(call.status).to.equal(200);
      expect(call.headers.get('access-control-allow-origin')).to.equal('*');
      expect(call.headers.get('access-control-expose-headers')).to.contain('X-Stream-Channel');
    });

    // production's default (no origin) is in test/unit/config.test.ts: an empty list adds no middleware
    it('allows only the listed origins when SINAS_CORS_ORIGINS is set', async () => {
      const listed = await startTestPlatform({ SINAS_CORS_ORIGINS: CONSOLE_ORIGIN });
      try {
        const from = (p: TestPlatform, origin: string) =>
          fetch(`${p.url}/health`, { headers: { origin } }).then((r) =>
            r.headers.get('access-control-allow-origin'),
          );
        expect(await from(listed, CONSOLE_ORIGIN)).to.equal(CONSOLE_ORIGIN);
        expect(await from(listed, 'https://evil.example.com')).to.equal(null);
      } finally {
        await listed.stop();
      }
    });
  });

  it("fills the owner's email on chats (GET /chats reads user_email)", async () => {
    const user = { 'x-api-key': await userKey(t, 'chatter') };
    const agent = await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'compat', name: 'echo' },
    });
    expect(agent.status).to.equal(201);
    const chat = await t.api('/agents/compat/echo/chats', { method: 'POST', headers: user, json: {} });
    expect(chat.status, await chat.clone().text()).to.equal(200);
    const id = (await chat.json()).id as string;
    const listed = (await (await t.api('/chats', { headers: user })).json()) as {
      id: string;
      user_email: string | null;
    }[];
    expect(listed.find((c) => c.id === id)?.user_email).to.equal('chatter@example.com');
    expect((await (await t.api(`/chats/${id}`, { headers: user })).json()).user_email).to.equal(
      'chatter@example.com',
    );
  });
});
