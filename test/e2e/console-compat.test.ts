/**
 * The original Sinas console against this API (issue 19): its own request shapes, written as plain
 * HTTP requests (read from the console's source; none of its code), and the response fields it
 * reads. Covered here: saving a function or agent with no icon chosen (`"icon": ""`), CORS for a
 * console served from its own origin, the owner's email on chats, and the admin and observability
 * endpoints of its Dashboard, Logs and System pages.
 */
import { expect } from 'chai';
import pg from 'pg';
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
    // heartbeats often, so the containers view shows a run within a fraction of a second
    t = await startTestPlatform({
      SINAS_WORKER_HEARTBEAT_MS: '200',
      SINAS_WORKER_TTL_MS: '10000',
      SINAS_REQUEST_LOG_FLUSH_MS: '50',
    });
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

  describe('the queue views of the System page (GET /api/v1/queue/stats, /jobs, /dlq, /workers)', () => {
    let executionId: string;
    let chatId: string;
    before(async () => {
      const fn = await t.api('/api/v1/functions', {
        method: 'POST',
        json: { ...functionForm('queued_fn'), namespace: 'qv' },
      });
      expect(fn.status, await fn.clone().text()).to.equal(201);
      const ran = await t.api('/functions/qv/queued_fn/execute', { method: 'POST', json: { input: {} } });
      expect(ran.status, await ran.clone().text()).to.equal(200);
      executionId = (await ran.json()).execution_id;
      await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'qv', name: 'agent' } });
      const chat = await t.api('/agents/qv/agent/chats', { method: 'POST', json: {} });
      chatId = (await chat.json()).id;
      await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: 'hello' } });
    });
    type Job = Record<string, unknown> & {
      job_id: string;
      execution_id: string | null;
      chat_id: string | null;
    };
    /** the console's call: `getQueueJobs(status)` */
    const jobs = async (status?: string): Promise<Job[]> => {
      const r = await t.api(`/api/v1/queue/jobs${status ? `?${new URLSearchParams({ status })}` : ''}`);
      expect(r.status, await r.clone().text()).to.equal(200);
      return r.json();
    };

    it("lists the jobs with the function or agent they ran, in the original's statuses and fields", async () => {
      let fnJob: Job | undefined;
      await until('the function job listed as completed', async () => {
        fnJob = (await jobs('completed')).find((j) => j.execution_id === executionId);
        return fnJob !== undefined;
      });
      expect(fnJob).to.include({ status: 'completed', queue: 'functions', function: 'qv/queued_fn' });
      expect(fnJob).to.include({ trigger_type: 'API', error: null, chat_id: null });
      expect(fnJob!.enqueued_at)
        .to.be.a('number')
        .and.at.most(Date.now() / 1000);
      expect(fnJob).not.to.have.property('data');
      let turnJob: Job | undefined;
      await until('the turn job listed as completed', async () => {
        turnJob = (await jobs('completed')).find((j) => j.chat_id === chatId);
        return turnJob !== undefined;
      });
      expect(turnJob).to.include({ queue: 'agents', agent: 'qv/agent', type: 'message' });
      const all = await jobs();
      const times = all.map((j) => j.enqueued_at as number);
      expect(times).to.deep.equal([...times].sort((a, b) => b - a));
      expect(await jobs('cancelled')).to.deep.equal([]);
      const limited = await t.api('/api/v1/queue/jobs?limit=1');
      expect(await limited.json()).to.have.length(1);
    });

    it('counts pending jobs per queue, jobs by status, dead letters, containers and workers', async () => {
      const r = await t.api('/api/v1/queue/stats');
      expect(r.status).to.equal(200);
      const stats = await r.json();
      expect(stats.queues.functions.pending).to.be.a('number');
      expect(stats.queues.agents.pending).to.be.a('number');
      expect(stats.jobs).to.have.all.keys('queued', 'running', 'completed', 'failed', 'cancelled');
      expect(stats.jobs.completed).to.be.at.least(2);
      expect(stats.dlq.size).to.equal(stats.jobs.failed);
      expect(stats.pool).to.have.all.keys('idle', 'in_use', 'total');
      expect(stats.workers).to.have.all.keys('count', 'running');
      const dlq = await t.api('/api/v1/queue/dlq');
      expect(dlq.status).to.equal(200);
      expect((await dlq.json()).length).to.equal(stats.dlq.size);
    });

    it("lists the queues' workers with their slots (max_jobs) and start time", async () => {
      const r = await t.api('/api/v1/queue/workers');
      expect(r.status).to.equal(200);
      const workers = (await r.json()) as {
        worker_id: string;
        queue: string;
        max_jobs: number;
        started_at: number;
      }[];
      expect(workers.map((w) => w.queue)).to.include.members(['functions', 'agents']);
      for (const w of workers) {
        expect(w.worker_id).to.be.a('string');
        expect(w.max_jobs).to.be.at.least(1);
        expect(w.started_at).to.be.at.most(Date.now() / 1000);
      }
    });

    it("shows the function runner's containers in the original's shape (zeros without Docker)", async () => {
      const sandbox = t.platform.services.functionRunner!.health().sandbox;
      type Stats = { idle: number; in_use: number; total: number; max_size: number } & {
        idle_containers: unknown[];
        in_use_containers: unknown[];
      };
      let stats: Stats | undefined;
      const read = async () => {
        const r = await t.api('/api/v1/containers/stats');
        expect(r.status, await r.clone().text()).to.equal(200);
        return (stats = (await r.json()) as Stats);
      };
      if (sandbox === 'docker') {
        // the pool as of a heartbeat after the function ran: a container that served the run
        await until('a container that ran the function', async () => {
          const s = await read();
          const all = [...s.idle_containers, ...s.in_use_containers] as { executions: number }[];
          return all.some((c) => c.executions >= 1);
        });
        expect(stats!.total)
          .to.equal(stats!.idle + stats!.in_use)
          .and.be.at.least(1);
        expect(stats!.max_size).to.be.at.least(stats!.total);
        expect(stats!.idle_containers[0] ?? stats!.in_use_containers[0]).to.have.all.keys(
          'name',
          'status',
          'executions',
          'age_seconds',
        );
      } else {
        await read();
        expect(stats).to.include({ idle: 0, in_use: 0, total: 0 });
      }
      expect(stats).to.include.all.keys('max_size', 'min_idle', 'max_executions');
      const user = { 'x-api-key': await userKey(t, 'container_peeker') };
      expect((await t.api('/api/v1/containers/stats', { headers: user })).status).to.equal(403);
    });

    it('answers only administrators, and refuses an unknown status or limit naming the field', async () => {
      const user = { 'x-api-key': await userKey(t, 'queue_peeker') };
      for (const path of ['stats', 'jobs', 'dlq', 'workers'])
        expect((await t.api(`/api/v1/queue/${path}`, { headers: user })).status, path).to.equal(403);
      const bad = await t.api('/api/v1/queue/jobs?status=lost');
      expect(bad.status).to.equal(400);
      expect((await bad.json()).field).to.match(/status/);
      const big = await t.api('/api/v1/queue/jobs?limit=501');
      expect(big.status).to.equal(400);
      expect((await big.json()).field).to.match(/limit/);
    });
  });

  describe('the Logs page (GET /api/v1/request-logs, /request-logs/stats)', () => {
    type Log = Record<string, unknown> & { path: string; status_code: number; user_id: string | null };
    /** the console's call: `listRequestLogs({user_id, start_time, end_time, permission, path_pattern, status_code, limit, offset})` */
    const logs = async (params: Record<string, string>, headers: Record<string, string> = {}) => {
      const r = await t.api(`/api/v1/request-logs?${new URLSearchParams(params)}`, { headers });
      expect(r.status, await r.clone().text()).to.equal(200);
      return (await r.json()) as Log[];
    };
    const logged = async (path: string, status?: number) => {
      let found: Log | undefined;
      await until(`${path} in the request logs`, async () => {
        const rows = await logs({ path_pattern: path, limit: '10', offset: '0' });
        found = rows.find((r) => status === undefined || r.status_code === status);
        return found !== undefined;
      });
      return found!;
    };

    it('logs method, path, status, duration and user, and no trace of a query string or an Authorization header', async () => {
      const SECRET = 'query-secret-4f1c9e';
      const r = await fetch(`${t.url}/api/v1/agents/compat_logs/missing?token=${SECRET}&limit=2`, {
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      await r.arrayBuffer();
      const row = await logged('/api/v1/agents/compat_logs/missing');
      expect(row).to.include({
        method: 'GET',
        path: '/api/v1/agents/compat_logs/missing',
        status_code: r.status,
      });
      expect(row.response_time_ms).to.be.a('number').and.at.least(0);
      expect(new Date(row.timestamp as string).toISOString()).to.equal(row.timestamp);
      expect(row.request_id).to.be.a('string');
      expect(row).to.include.all.keys('user_email', 'permission_used', 'has_permission', 'query_params');
      expect(row.query_params).to.equal(null);
      const pool = new pg.Pool({ connectionString: t.db.url, max: 1 });
      try {
        const table = (await pool.query('SELECT r::text AS row FROM request_logs r')).rows
          .map((x: { row: string }) => x.row)
          .join('\n');
        expect(table).to.contain('/api/v1/agents/compat_logs/missing');
        expect(table).not.to.contain(SECRET);
        expect(table).not.to.contain(ADMIN_KEY);
        expect(table).not.to.contain('token=');
      } finally {
        await pool.end();
      }
    });

    it('filters as the console does, shows a user only their own, and counts the stats it reads', async () => {
      const key = await userKey(t, 'log_reader');
      const user = { 'x-api-key': key };
      const me = (await (await t.api('/auth/me', { headers: user })).json()) as { id: string };
      expect((await t.api('/api/v1/agents/compat_logs/mine', { headers: user })).status).to.equal(404);
      const mine = await logged('/api/v1/agents/compat_logs/mine', 404);
      expect(mine).to.include({ user_id: me.id, user_email: 'log_reader@example.com', has_permission: true });
      const own = await logs({ limit: '100', offset: '0' }, user);
      expect(own.length).to.be.at.least(1);
      expect(own.every((l) => l.user_id === me.id)).to.equal(true);
      const admins = await logs({
        user_id: me.id,
        status_code: '404',
        path_pattern: '/api/v1/agents/%',
        limit: '5',
        offset: '0',
      });
      expect(admins.map((l) => l.path)).to.include('/api/v1/agents/compat_logs/mine');
      expect(admins.every((l) => l.status_code === 404 && l.user_id === me.id)).to.equal(true);
      const later = await logs({ start_time: new Date(Date.now() + 3_600_000).toISOString().slice(0, 16) });
      expect(later).to.deep.equal([]);
      expect(await logs({ permission: 'sinas.agents.read:all' })).to.deep.equal([]);
      const other = await t.api(`/api/v1/request-logs?user_id=someone-else`, { headers: user });
      expect(other.status).to.equal(403);
      const stats = await (await t.api(`/api/v1/request-logs/stats?user_id=${me.id}`)).json();
      expect(stats.total_requests).to.be.at.least(1);
      expect(stats.unique_users).to.equal(1);
      expect(stats.error_rate).to.be.above(0).and.at.most(1);
      expect(stats.avg_response_time_ms).to.be.a('number');
      expect(stats.top_paths).to.deep.include({ path: '/api/v1/agents/compat_logs/mine', count: 1 });
      expect(stats.top_permissions).to.deep.equal([]);
      const ownStats = await (await t.api('/api/v1/request-logs/stats', { headers: user })).json();
      expect(ownStats.unique_users).to.equal(1);
    });

    it('refuses a time that is not one, naming the field', async () => {
      const r = await t.api('/api/v1/request-logs?start_time=yesterday-ish');
      expect(r.status).to.equal(400);
      expect((await r.json()).field).to.equal('start_time');
      const s = await t.api('/api/v1/request-logs/stats?end_time=soon');
      expect(s.status).to.equal(400);
      expect((await s.json()).field).to.equal('end_time');
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
