/**
 * The original Sinas console against this API (issue 19): its own request shapes, written as plain
 * HTTP requests (read from the console's source; none of its code), and the response fields it
 * reads. Covered here: saving a function or agent with no icon chosen (`"icon": ""`), CORS for a
 * console served from its own origin, the owner's email on chats, and the admin and observability
 * endpoints of its Dashboard, Logs and System pages.
 */
import { expect } from 'chai';
import { startTestPlatform, userKey, ADMIN_KEY, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';
import { parseSse, type Frame } from '../support/sse-frames.js';

const CONSOLE_ORIGIN = 'http://localhost:51245'; // the console's development server

/** Reads an SSE response in the background: the frames so far, and a wait for one. */
function readStream(r: Response): { frames: Frame[]; until(event: string): Promise<void> } {
  const frames: Frame[] = [];
  let text = '';
  let ended = false;
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      text += decoder.decode(chunk, { stream: true });
      const end = text.lastIndexOf('\n\n');
      if (end < 0) continue;
      frames.push(...parseSse(text.slice(0, end + 2)));
      text = text.slice(end + 2);
    }
    ended = true;
  })();
  return {
    frames,
    until: async (event) => {
      await until(`an SSE ${event} frame`, () => ended || frames.some((f) => f.event === event));
      await (ended ? reading : undefined);
      expect(frames.map((f) => f.event)).to.include(event);
    },
  };
}

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

  describe('an empty icon or email domain means none', () => {
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

    it("creates and edits a role from the Roles tab with no email domain (its form sends '')", async () => {
      const form = { name: 'ConsoleRole', description: '', email_domain: '' };
      const created = await t.api('/api/v1/roles', { method: 'POST', json: form });
      expect(created.status, await created.clone().text()).to.equal(201);
      expect((await created.json()).email_domain).to.equal(null);
      const edited = await t.api('/api/v1/roles/ConsoleRole', {
        method: 'PATCH',
        json: { ...form, description: 'edited' },
      });
      expect(edited.status, await edited.clone().text()).to.equal(200);
      expect(await edited.json()).to.include({ description: 'edited', email_domain: null });
      const bad = await t.api('/api/v1/roles/ConsoleRole', {
        method: 'PATCH',
        json: { email_domain: 'nodot' },
      });
      expect(bad.status).to.equal(400);
      expect((await bad.json()).field).to.equal('email_domain');
      const renamed = await t.api('/api/v1/roles/ConsoleRole', {
        method: 'PATCH',
        json: { ...form, name: 'OtherRole' },
      });
      expect(renamed.status).to.equal(400);
      expect((await renamed.json()).field).to.equal('name');
    });
  });

  it("lists an ordinary user the roles they are in (the Users and Permissions pages' GET /api/v1/roles)", async () => {
    const user = { 'x-api-key': await userKey(t, 'role_reader') };
    const mine = await t.api('/api/v1/roles', { headers: user });
    expect(mine.status, await mine.clone().text()).to.equal(200);
    const names = ((await mine.json()) as { name: string; permissions: object }[]).map((r) => r.name);
    expect(names).to.have.members(['GuestUsers', 'Users']); // new users join GuestUsers too
    const all = ((await (await t.api('/api/v1/roles')).json()) as { name: string }[]).map((r) => r.name);
    expect(all).to.include.members(['Admins', 'GuestUsers', 'Users']);
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

  it('ends a streamed reply only once GET /chats/{id} shows it (the chat page replaces what it streamed with that)', async () => {
    await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'compat', name: 'streamer' } });
    const created = await t.api('/agents/compat/streamer/chats', {
      method: 'POST',
      json: { title: 'streamed' },
    });
    const chatId = (await created.json()).id as string;
    const messages = async () =>
      (await (await t.api(`/chats/${chatId}`)).json()).messages as { role: string; content: unknown }[];
    // hold the chats read model back: its projector waits for this row to write its progress
    const hold = await t.platform.services.pool.connect();
    let held = false;
    try {
      await hold.query('BEGIN');
      await hold.query("SELECT 1 FROM projection_checkpoints WHERE name = 'chats' FOR UPDATE");
      held = true;
      const stream = readStream(
        await fetch(`${t.url}/chats/${chatId}/messages/stream`, {
          method: 'POST',
          headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
          body: JSON.stringify({ content: 'hello stream' }),
        }),
      );
      await stream.until('AssistantMessageCompleted');
      expect((await messages()).map((m) => m.role)).not.to.include('assistant'); // held back indeed
      expect(stream.frames.map((f) => f.event)).not.to.include('done');
      await hold.query('ROLLBACK');
      held = false;
      await stream.until('done');
      expect((await messages()).at(-1)).to.deep.include({
        role: 'assistant',
        content: '[sinas-dev-model] Echo: hello stream',
      });
    } finally {
      if (held) await hold.query('ROLLBACK');
      hold.release();
    }
  });

  describe('messages search and dashboard stats (GET /api/v1/messages, /messages/stats)', () => {
    let alice: Record<string, string>;
    const chatIn = async (who: Record<string, string>, content: string) => {
      const chat = await t.api('/agents/compat/talk/chats', { method: 'POST', headers: who, json: {} });
      expect(chat.status, await chat.clone().text()).to.equal(200);
      const id = (await chat.json()).id as string;
      const sent = await t.api(`/chats/${id}/messages`, { method: 'POST', headers: who, json: { content } });
      expect(sent.status, await sent.clone().text()).to.be.lessThan(300);
      return id;
    };
    /** the console's search call: `searchMessages({agent, role, search, limit, offset})` */
    const search = async (who: Record<string, string>, params: Record<string, string>) => {
      const r = await t.api(`/api/v1/messages?${new URLSearchParams(params)}`, { headers: who });
      expect(r.status, await r.clone().text()).to.equal(200);
      return r.json();
    };
    before(async () => {
      await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'compat', name: 'talk' } });
      alice = { 'x-api-key': await userKey(t, 'alice') };
      const bob = { 'x-api-key': await userKey(t, 'bob') };
      await chatIn(alice, 'alice says needle');
      await chatIn(bob, 'bob says NEEDLE too');
      await until('both chats projected with their replies', async () => {
        const all = await search({}, { agent: 'compat/talk', limit: '50', offset: '0' });
        return all.total >= 4;
      });
    });

    it("lists everyone's messages to an administrator, in the console's shape, with its filters", async () => {
      const found = await search(
        {},
        { agent: 'compat/talk', role: 'user', search: 'needle', limit: '50', offset: '0' },
      );
      expect(found).to.include({ total: 2, limit: 50, offset: 0 });
      const byBob = found.messages.find(
        (m: { user: { email: string } | null }) => m.user?.email === 'bob@example.com',
      );
      expect(byBob).to.include({ role: 'user', content: 'bob says NEEDLE too', tool_call_id: null });
      expect(byBob.chat).to.deep.equal({ agent_namespace: 'compat', agent_name: 'talk' });
      expect(byBob.id).to.be.a('string');
      expect(byBob.chat_id).to.be.a('string');
      expect(new Date(byBob.created_at).toISOString()).to.equal(byBob.created_at);
      const page = await search({}, { agent: 'talk', limit: '1', offset: '1' });
      expect(page.messages).to.have.length(1);
      expect(page.total).to.be.at.least(4);
      expect((await search({}, { agent: 'compat/none', limit: '50', offset: '0' })).total).to.equal(0);
    });

    it("shows an ordinary user only their own chats' messages", async () => {
      const own = await search(alice, { role: 'user', search: 'needle', limit: '50', offset: '0' });
      expect(own.total).to.equal(1);
      expect(own.messages[0]).to.include({ content: 'alice says needle' });
      expect(own.messages[0].user).to.deep.equal({ email: 'alice@example.com' });
    });

    it('counts the dashboard stats: by day, by agent, by role', async () => {
      const r = await t.api('/api/v1/messages/stats?days=7');
      expect(r.status).to.equal(200);
      const stats = await r.json();
      expect(stats.days).to.equal(7);
      expect(stats.total_messages).to.be.at.least(4);
      expect(stats.tool_calls).to.be.a('number');
      expect(stats.role_distribution.user).to.be.at.least(2);
      expect(stats.role_distribution.assistant).to.be.at.least(2);
      expect(stats.agent_usage).to.deep.include({ agent: 'compat/talk', count: 4 });
      const today = new Date().toISOString().slice(0, 10);
      expect(Object.values(stats.activity_by_day).reduce((a: number, b) => a + (b as number), 0)).to.equal(
        stats.total_messages,
      );
      expect(Object.keys(stats.activity_by_day)).to.satisfy((days: string[]) =>
        days.every((d) => d <= today),
      );
      const own = await (await t.api('/api/v1/messages/stats', { headers: alice })).json();
      expect(own.total_messages).to.equal(2);
      expect(own.agent_usage).to.deep.equal([{ agent: 'compat/talk', count: 2 }]);
    });

    it('refuses a role or a day count out of range, naming the field', async () => {
      const role = await t.api('/api/v1/messages?role=robot');
      expect(role.status).to.equal(400);
      expect((await role.json()).field).to.match(/role/);
      const days = await t.api('/api/v1/messages/stats?days=91');
      expect(days.status).to.equal(400);
      expect((await days.json()).field).to.match(/days/);
    });
  });

  describe("the permission editor's catalogue (GET /api/v1/roles/permissions/reference, /defaults)", () => {
    it('lists every resource with its actions to any signed-in user; adminOnly marks the :all-only ones', async () => {
      const user = { 'x-api-key': await userKey(t, 'perm_reader') };
      const r = await t.api('/api/v1/roles/permissions/reference', { headers: user });
      expect(r.status).to.equal(200);
      const entries = (await r.json()) as {
        resource: string;
        description: string;
        actions: string[];
        namespaced: boolean;
        adminOnly?: boolean;
      }[];
      const agents = entries.find((e) => e.resource === 'agents')!;
      expect(agents).to.deep.include({
        namespaced: true,
        actions: ['create', 'read', 'update', 'delete', 'chat'],
      });
      expect(agents.description).to.be.a('string').and.not.equal('');
      expect(agents.adminOnly).to.equal(undefined);
      expect(entries.find((e) => e.resource === 'roles')).to.include({ adminOnly: true, namespaced: false });
      expect(entries.map((e) => e.resource)).to.include.members([
        'functions',
        'secrets',
        'executions',
        'system',
      ]);
    });

    it("answers the default roles' maps to whoever manages role permissions", async () => {
      const r = await t.api('/api/v1/roles/permissions/defaults');
      expect(r.status).to.equal(200);
      const defaults = await r.json();
      expect(defaults.Admins).to.deep.equal({ 'sinas.*:all': true });
      expect(defaults.GuestUsers).to.deep.equal({
        'sinas.users.read:own': true,
        'sinas.users.update:own': true,
      });
      expect(defaults.Users['sinas.agents/*/*.chat:all']).to.equal(true);
      const user = { 'x-api-key': await userKey(t, 'perm_reader') };
      expect((await t.api('/api/v1/roles/permissions/defaults', { headers: user })).status).to.equal(403);
    });
  });

  describe('the System page (GET /api/v1/system/health, /api/v1/dependencies)', () => {
    it('reports this process and every port as services, the host, and no warnings when all is up', async () => {
      const r = await t.api('/api/v1/system/health?include_stats=false');
      expect(r.status, await r.clone().text()).to.equal(200);
      const health = await r.json();
      const names = health.services.map((s: { name: string }) => s.name);
      expect(names).to.include.members(['database', 'eventStore', 'jobQueue', 'functionRunner']);
      for (const s of health.services)
        expect(s).to.include.all.keys('name', 'service', 'status', 'health', 'uptime_seconds');
      expect(health.services.every((s: { status: string }) => s.status === 'running')).to.equal(true);
      expect(health.host.memory_total_mb).to.be.above(0);
      expect(health.host.disk_total_gb).to.be.above(0);
      expect(health.host).to.include.all.keys(
        'cpu_percent',
        'memory_used_mb',
        'memory_percent',
        'disk_used_gb',
        'disk_percent',
      );
      expect(health.warnings.filter((w: { level: string }) => w.level === 'critical')).to.deep.equal([]);
      const user = { 'x-api-key': await userKey(t, 'sys_reader') };
      expect((await t.api('/api/v1/system/health', { headers: user })).status).to.equal(403);
    });

    it('lists the approved Python packages: none, the function image has the standard library only', async () => {
      const r = await t.api('/api/v1/dependencies');
      expect(r.status).to.equal(200);
      expect(await r.json()).to.deep.equal([]);
      // the Functions page asks for every user: the original lists them to anyone signed in (only
      // installing and removing are for administrators)
      const user = { 'x-api-key': await userKey(t, 'dep_reader') };
      const mine = await t.api('/api/v1/dependencies', { headers: user });
      expect(mine.status).to.equal(200);
      expect(await mine.json()).to.deep.equal([]);
    });
  });
});
