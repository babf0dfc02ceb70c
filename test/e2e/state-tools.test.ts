/**
 * States in chats (reference §3.8 step 5, §4.1, §5.7): the development model saves and retrieves a
 * state through the state tools in a real chat, writes are refused on a read-only store, and the
 * stored context (up to five of the user's or shared states, most relevant first) is in the system
 * prompt of every model round, tool rounds included (the scripted LLM records each request).
 */
import { expect } from 'chai';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, useProvider, userKey, type TestPlatform } from '../support/platform.js';

type Api = (path: string, init?: RequestInit & { json?: unknown }) => ReturnType<TestPlatform['api']>;

async function setUp(t: TestPlatform): Promise<{ alice: Api; bob: Api }> {
  for (const json of [
    { namespace: 'team', name: 'memory', description: 'what the user asked to remember' },
    { namespace: 'team', name: 'facts', description: 'reference facts', schema: { type: 'object' } },
  ]) {
    const r = await t.api('/api/v1/stores', { method: 'POST', json });
    if (r.status !== 201) throw new Error(`setup: store ${r.status} ${await r.text()}`);
  }
  const agent = await t.api('/api/v1/agents', {
    method: 'POST',
    json: {
      namespace: 'demo',
      name: 'keeper',
      enabled_stores: [
        { store: 'team/memory', access: 'readwrite' },
        { store: 'team/facts', access: 'readonly' },
      ],
    },
  });
  if (agent.status !== 201) throw new Error(`setup: agent ${agent.status} ${await agent.text()}`);
  const as =
    (key: string): Api =>
    (path, init = {}) =>
      t.api(path, { ...init, headers: { 'x-api-key': key } });
  return { alice: as(await userKey(t, 'alice')), bob: as(await userKey(t, 'bob')) };
}

async function say(api: Api, chatId: string, content: string): Promise<string> {
  const r = await api(`/chats/${chatId}/messages`, { method: 'POST', json: { content } });
  const body = await r.json();
  if (r.status !== 200) throw new Error(`message: ${r.status} ${JSON.stringify(body)}`);
  return body.content as string;
}

async function newChat(api: Api): Promise<string> {
  const r = await api('/agents/demo/keeper/chats', { method: 'POST', json: {} });
  if (r.status !== 200) throw new Error(`chat: ${r.status} ${await r.text()}`);
  return (await r.json()).id as string;
}

describe('state tools with the development model', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let alice: Api;

  before(async () => {
    t = await startTestPlatform();
    ({ alice } = await setUp(t));
  });
  after(async () => t?.stop());

  it('saves a state and retrieves it in a real chat, as the chat user', async () => {
    const chatId = await newChat(alice);
    const saved = await say(
      alice,
      chatId,
      'call save_state {"store": "team/memory", "key": "city", "value": {"name": "Oslo"}, "tags": ["home"]}',
    );
    expect(saved).to.contain('Tool save_state returned').and.contain('Saved state: team/memory/city');
    const again = await say(
      alice,
      chatId,
      'call update_context {"store": "team/memory", "key": "city", "value": {"name": "Bergen"}}',
    );
    expect(again).to.contain('Updated state: team/memory/city');
    const got = await say(alice, chatId, 'call retrieve_state {"store": "team/memory", "key": "city"}');
    expect(got).to.contain('Tool retrieve_state returned').and.contain('Bergen');
    const listed = await say(alice, chatId, 'call list_state_keys');
    expect(listed).to.contain('"total_keys":1');
    // the chat user's own key space, over HTTP too
    const state = await (await alice('/stores/team/memory/states/city')).json();
    expect(state).to.include({ key: 'city', visibility: 'private' });
    expect(state.value).to.deep.equal({ name: 'Bergen' });
    const chat = await (await alice(`/chats/${chatId}`)).json();
    expect(JSON.stringify(chat)).to.contain('Saving state');
  });

  it('refuses a write to a read-only store, and deletes from a readwrite one', async () => {
    const chatId = await newChat(alice);
    const refused = await say(
      alice,
      chatId,
      'call save_state {"store": "team/facts", "key": "k", "value": 1}',
    );
    expect(refused).to.contain('"error"').and.contain('store');
    expect((await alice('/stores/team/facts/states/k')).status).to.equal(404);
    const deleted = await say(alice, chatId, 'call delete_state {"store": "team/memory", "key": "city"}');
    expect(deleted).to.contain('Deleted state: team/memory/city');
    expect((await alice('/stores/team/memory/states/city')).status).to.equal(404);
  });
});

describe('state tools need the chat user’s store permissions', function () {
  this.timeout(120_000);
  let t: TestPlatform;

  before(async () => {
    t = await startTestPlatform();
    await setUp(t);
  });
  after(async () => t?.stop());

  it('refuses a save by a user who may chat and read states but not write them', async () => {
    const role = await t.api('/api/v1/roles', {
      method: 'POST',
      json: {
        name: 'Readers',
        permissions: { 'sinas.agents/*/*.chat:all': true, 'sinas.stores/*/*.read_state:own': true },
      },
    });
    expect(role.status).to.equal(201);
    const key = await userKey(t, 'reader', ['Readers']);
    const reader: Api = (path, init = {}) => t.api(path, { ...init, headers: { 'x-api-key': key } });
    const chatId = await newChat(reader);
    const reply = await say(
      reader,
      chatId,
      'call save_state {"store": "team/memory", "key": "k", "value": 1}',
    );
    expect(reply).to.contain('Not permitted').and.contain('write_state');
    expect(await say(reader, chatId, 'call retrieve_state {"store": "team/memory", "key": "k"}')).to.contain(
      'No matching states found',
    );
  });
});

describe('stored context in every round', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let alice: Api;
  let bob: Api;

  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    ({ alice, bob } = await setUp(t));
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });

  const save = async (api: Api, store: string, json: Record<string, unknown>) => {
    const r = await api(`/stores/team/${store}/states`, { method: 'POST', json });
    if (r.status !== 200) throw new Error(`save: ${r.status} ${await r.text()}`);
  };

  it('appends up to five of the user’s or shared states, most relevant first, to the system prompt of tool rounds too', async () => {
    for (const [key, score] of [
      ['a', 0.1],
      ['b', 0.9],
      ['c', 0.5],
      ['d', 0.7],
    ] as const)
      await save(alice, 'memory', {
        key,
        value: { v: key },
        relevance_score: score,
        description: `note ${key}`,
      });
    await save(alice, 'memory', {
      key: 'gone',
      value: 1,
      relevance_score: 1,
      expires_at: '2001-01-01T00:00:00Z',
    });
    await save(bob, 'facts', {
      key: 'shared-fact',
      value: 'everyone',
      relevance_score: 0.8,
      visibility: 'shared',
    });
    await save(bob, 'facts', { key: 'bobs-secret', value: 'mine', relevance_score: 1 });
    await save(alice, 'facts', { key: 'low', value: 0, relevance_score: 0.05 });
    llm.script([{ toolCalls: [{ id: 'call_1', name: 'list_state_keys', arguments: {} }] }, { text: 'done' }]);
    const chatId = await newChat(alice);
    expect(await say(alice, chatId, 'what do you know?')).to.equal('done');
    expect(llm.requests).to.have.length(2);
    for (const request of llm.requests) {
      const system = (request.messages as { role: string; content: string }[]).find(
        (m) => m.role === 'system',
      );
      const context = system!.content.slice(system!.content.indexOf('## Stored Context'));
      expect(context, 'every round has the stored context').to.match(/^## Stored Context/);
      const refs = [...context.matchAll(/^(team\/\w+\/[\w-]+)/gm)].map((m) => m[1]);
      expect(refs).to.deep.equal([
        'team/memory/b',
        'team/facts/shared-fact',
        'team/memory/d',
        'team/memory/c',
        'team/memory/a',
      ]);
      expect(context).to.contain('team/memory/b - note b').and.contain('"v": "b"');
    }
    // the tools describe the stores: read-only and read-write, with description and schema
    const tools = llm.requests[0]!.tools as { function: { name: string; description: string } }[];
    const save_ = tools.find((x) => x.function.name === 'save_state')!;
    expect(save_.function.description).to.contain('Read-only stores:\n- team/facts: reference facts');
    expect(save_.function.description).to.contain(
      'Read-write stores:\n- team/memory: what the user asked to remember',
    );
  });
});
