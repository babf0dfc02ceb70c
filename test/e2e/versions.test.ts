/**
 * Versions as people count them: the first version of anything is 1, end to end — what a write
 * answers, its ETag and If-Match, `?version=N` (0 is a 400 naming `version`), `/versions`, the agent
 * version a chat and its replies ran under, the function version an execution ran, and events stored
 * before versions counted from 1 (they read as 1-based).
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { startTestPlatform, type JsonResponse, type TestPlatform } from '../support/platform.js';
import { executionsCaughtUp } from '../support/executions-caught-up.js';
import { until } from '../support/until.js';

const ADD = `
def handler(input_data, context):
    return {"sum": input_data["a"] + input_data["b"]}
`;

interface Kind {
  readonly kind: string;
  readonly base: string;
  readonly item: string;
  readonly create: Record<string, unknown>;
  /** the field the update changes, its value at version 1 and at version 2 */
  readonly field: string;
  readonly values: readonly [unknown, unknown];
}

const RESOURCE_KINDS: readonly Kind[] = [
  {
    kind: 'agent',
    base: '/api/v1/agents',
    item: '/api/v1/agents/ver/helper',
    create: { namespace: 'ver', name: 'helper' },
    field: 'description',
    values: ['one', 'two'],
  },
  {
    kind: 'function',
    base: '/api/v1/functions',
    item: '/api/v1/functions/ver/add',
    create: { namespace: 'ver', name: 'add', code: ADD },
    field: 'description',
    values: ['one', 'two'],
  },
  {
    kind: 'LLM provider',
    base: '/api/v1/llm-providers',
    item: '/api/v1/llm-providers/ver-provider',
    create: { name: 'ver-provider', api_endpoint: 'http://127.0.0.1:9/v1' },
    field: 'default_model',
    values: ['m-one', 'm-two'],
  },
];

describe('versions count from 1', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  before(async () => (t = await startTestPlatform({ SINAS_WEBHOOK_ALLOWLIST: '127.0.0.1' })));
  after(async () => t && (await t.stop()));

  const json = async (r: JsonResponse | Promise<JsonResponse>, status = 200) => {
    const res = await r;
    expect(res.status, await res.clone().text()).to.equal(status);
    return res.json();
  };
  const problem = async (r: Promise<JsonResponse>, status: number, field: string) => {
    const res = await r;
    expect(res.status).to.equal(status);
    expect((await res.json()).field).to.equal(field);
  };

  for (const k of RESOURCE_KINDS) {
    it(`${k.kind}: created at version 1, updated to 2; /versions, ?version=N and If-Match agree`, async () => {
      const [one, two] = k.values;
      const created = await t.api(k.base, { method: 'POST', json: { ...k.create, [k.field]: one } });
      expect(created.headers.get('etag')).to.equal('"1"');
      expect(await json(created, 201)).to.include({ version: 1 });
      const updated = await t.api(k.item, { method: 'PATCH', json: { [k.field]: two } });
      expect(updated.headers.get('etag')).to.equal('"2"');
      expect(await json(updated)).to.include({ version: 2, [k.field]: two });

      const versions = await json(t.api(`${k.item}/versions`));
      expect(versions.map((v: { version: number }) => v.version)).to.deep.equal([1, 2]);
      expect(await json(t.api(`${k.item}?version=1`))).to.include({ version: 1, [k.field]: one });
      expect(await json(t.api(`${k.item}?version=2`))).to.include({ version: 2, [k.field]: two });
      expect(await json(t.api(k.item))).to.include({ version: 2, [k.field]: two });
      await problem(t.api(`${k.item}?version=0`), 400, 'version');
      expect((await t.api(`${k.item}?version=3`)).status).to.equal(404);

      const put = (ifMatch: string) =>
        t.api(k.item, { method: 'PATCH', json: { [k.field]: one }, headers: { 'if-match': ifMatch } });
      await problem(put('"1"'), 412, 'If-Match');
      await problem(put('"0"'), 400, 'If-Match');
      const fresh = await put('"2"');
      expect(fresh.status).to.equal(200);
      expect(fresh.headers.get('etag')).to.equal('"3"');
      expect((await t.api(k.item, { method: 'DELETE' })).status).to.equal(204); // chats below use the dev model
    });
  }

  it('secret: created at version 1, updated to 2; ?version=1 and 2 as they were, 0 a 400', async () => {
    const created = await t.api('/api/v1/secrets', {
      method: 'POST',
      json: { name: 'VER_TOKEN', value: 'value-one-0001', description: 'one' },
    });
    expect(created.headers.get('etag')).to.equal('"1"');
    expect(await json(created, 201)).to.include({ version: 1 });
    const updated = await json(
      t.api('/api/v1/secrets/VER_TOKEN', { method: 'PUT', json: { description: 'two' } }),
    );
    expect(updated).to.include({ version: 2, description: 'two' });
    const got = await t.api('/api/v1/secrets/VER_TOKEN');
    expect(got.headers.get('etag')).to.equal('"2"');
    expect(await json(got)).to.include({ version: 2 });
    expect(await json(t.api('/api/v1/secrets/VER_TOKEN?version=1'))).to.include({
      version: 1,
      description: 'one',
    });
    expect(await json(t.api('/api/v1/secrets/VER_TOKEN?version=2'))).to.include({
      version: 2,
      description: 'two',
    });
    await problem(t.api('/api/v1/secrets/VER_TOKEN?version=0'), 400, 'version');
    expect((await t.api('/api/v1/secrets/VER_TOKEN?version=3')).status).to.equal(404);
  });

  it('event subscription: created at version 1, updated to 2', async () => {
    const created = await t.api('/api/v1/event-subscriptions', {
      method: 'POST',
      json: { url: 'http://127.0.0.1:9/hook', active: false, description: 'one' },
    });
    expect(created.headers.get('etag')).to.equal('"1"');
    const { id, version } = await json(created, 201);
    expect(version).to.equal(1);
    const updated = await t.api(`/api/v1/event-subscriptions/${id}`, {
      method: 'PATCH',
      json: { description: 'two' },
    });
    expect(updated.headers.get('etag')).to.equal('"2"');
    expect(await json(updated)).to.include({ version: 2 });
    const got = await t.api(`/api/v1/event-subscriptions/${id}`);
    expect(got.headers.get('etag')).to.equal('"2"');
    expect(await json(got)).to.include({ version: 2, description: 'two' });
  });

  it('role: created at version 1, updated to 2; ?version=1 and 2 as they were, 0 a 400', async () => {
    await json(
      t.api('/api/v1/roles', {
        method: 'POST',
        json: { name: 'VerRole', description: 'one', permissions: {} },
      }),
      201,
    );
    await json(t.api('/api/v1/roles/VerRole', { method: 'PATCH', json: { description: 'two' } }));
    expect(await json(t.api('/api/v1/roles/VerRole'))).to.include({ version: 2, description: 'two' });
    expect(await json(t.api('/api/v1/roles/VerRole?version=1'))).to.include({
      version: 1,
      description: 'one',
    });
    expect(await json(t.api('/api/v1/roles/VerRole?version=2'))).to.include({
      version: 2,
      description: 'two',
    });
    await problem(t.api('/api/v1/roles/VerRole?version=0'), 400, 'version');
  });

  it('a chat and its reply record agent version 1 for a fresh agent, 2 after its first change', async () => {
    await json(t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'ver', name: 'bot' } }), 201);
    const chat = await json(t.api('/agents/ver/bot/chats', { method: 'POST', json: {} }));
    expect(chat).to.include({ agent_version: 1, version: 1 });
    const reply = await json(
      t.api(`/chats/${chat.id}/messages`, { method: 'POST', json: { content: 'hi' } }),
    );
    expect(reply).to.include({ role: 'assistant', agent_version: 1 });
    const full = await json(t.api(`/chats/${chat.id}`));
    expect(full.messages.find((m: { role: string }) => m.role === 'assistant')).to.include({
      agent_version: 1,
    });
    const timeline = await json(t.api(`/chats/${chat.id}/timeline`));
    const started = timeline.items.find((i: { type: string }) => i.type === 'TurnStarted');
    expect(started.data.agentVersion).to.equal(1);
    const item = (type: string) => timeline.items.find((i: { type: string }) => i.type === type);
    expect(item('ChatCreated')).to.include({ revision: '0', version: 1 });
    // the agent's events up to the version the chat ran under: its first only
    const agentEvents = timeline.items.filter((i: { stream: string }) => i.stream === 'agent-ver/bot');
    expect(agentEvents.map((i: { type: string; version: number }) => [i.type, i.version])).to.deep.equal([
      ['AgentCreated', 1],
    ]);

    await json(t.api('/api/v1/agents/ver/bot', { method: 'PATCH', json: { description: 'changed' } }));
    const later = await json(t.api('/agents/ver/bot/chats', { method: 'POST', json: {} }));
    expect(later).to.include({ agent_version: 2 });
  });

  it('an execution records function version 1 for a fresh function and runs that version', async () => {
    await json(
      t.api('/api/v1/functions', {
        method: 'POST',
        json: { namespace: 'ver', name: 'sum', code: ADD },
      }),
      201,
    );
    const run = await json(
      t.api('/functions/ver/sum/execute', { method: 'POST', json: { input: { a: 2, b: 3 } } }),
    );
    expect(run.result).to.deep.equal({ sum: 5 });
    expect(await json(t.api(`/executions/${run.execution_id}`))).to.include({
      function_version: 1,
      version: 3, // requested, started, completed
    });
    await executionsCaughtUp(t); // the list is the read model; the run ended on its stream
    const listed = await json(t.api('/executions?function_name=ver/sum'));
    expect(listed.map((e: { function_version: number }) => e.function_version)).to.deep.equal([1]);
  });

  it('events stored before versions counted from 1 read as 1-based', async () => {
    const store = t.platform.services.eventStore;
    const agent = await json(
      t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'ver', name: 'old' } }),
      201,
    );
    const fresh = await json(t.api('/agents/ver/old/chats', { method: 'POST', json: {} }));
    const chatId = randomUUID();
    const at = new Date().toISOString();
    const metadata = { correlationId: chatId, causationId: chatId, actor: fresh.user_id, version: 1 };
    // the shape schema version 1 wrote: agentVersion was the agent stream's revision (0 for the first)
    await store.append(
      `chat-${chatId}`,
      [
        {
          id: randomUUID(),
          type: 'ChatCreated',
          data: {
            chatId,
            userId: fresh.user_id,
            agent: { namespace: 'ver', name: 'old', id: agent.id },
            agentVersion: 0,
            title: 'an old chat',
            input: {},
            sessionKey: null,
            expiresAt: null,
            initialMessages: [],
            at,
          },
          metadata,
        },
      ],
      'no_stream',
    );
    let old: { status: number; body?: { agent_version: number; version: number } } = { status: 0 };
    await until('the old chat to be projected', async () => {
      const r = await t.api(`/chats/${chatId}`);
      old = { status: r.status, ...(r.status === 200 ? { body: await r.json() } : {}) };
      return old.status === 200;
    });
    expect(old.body).to.include({ agent_version: 1, version: 1 });
    const timeline = await json(t.api(`/chats/${chatId}/timeline`));
    const created = timeline.items.find((i: { type: string }) => i.type === 'ChatCreated');
    expect(created.data.agentVersion).to.equal(1);
    // the agent's events up to version 1: its creation (a revision read as a version would show none)
    expect(timeline.items.filter((i: { stream: string }) => i.stream === 'agent-ver/old')).to.have.length(1);
  });
});
