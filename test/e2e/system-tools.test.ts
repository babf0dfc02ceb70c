/**
 * The system tools and retrieve_tool_result, run as the turn runs them (offer, then run a call) on
 * the real platform: configIntrospection shows each chat user only what they may read and never a
 * write-only value; execute_code runs in the platform's sandbox (Docker or bubblewrap), one user's
 * code never in a worker another user's ran in; retrieve_tool_result finds only the chat's own calls.
 */
import { expect } from 'chai';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { codeExecution } from '../../src/runtime/turns/system/code-execution.js';
import { configIntrospection } from '../../src/runtime/turns/system/config-introspection.js';
import {
  NOT_FOUND,
  recordOf,
  retrieveToolResultFamily,
} from '../../src/runtime/turns/system/retrieve-tool-result.js';
import { systemToolsFamily } from '../../src/runtime/turns/system/system-family.js';
import type { ToolChat, ToolFamily } from '../../src/runtime/turns/tool-family.js';
import { ensureUser, startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { skipLoudly } from '../support/skip.js';

const asChat = (userId: string, systemTools: unknown[], chatId = `chat-of-${userId}`): ToolChat =>
  ({
    chatId,
    userId,
    input: {},
    agent: { namespace: 'demo', name: 'a' },
    agentSpec: { system_tools: systemTools },
  }) as unknown as ToolChat;

/** Runs one call of `family` the way the turn runner does: the offered tool's target, the arguments. */
async function call(family: ToolFamily, chat: ToolChat, name: string, args: Record<string, unknown> = {}) {
  const offered = (await family.offer(chat)).find((o) => o.tool.function.name === name);
  if (!offered) throw new Error(`${name} is not offered`);
  return family.run(
    {
      toolCallId: `call-${name}`,
      target: offered.target,
      arguments: args,
      signal: new AbortController().signal,
    },
    chat,
  );
}

describe('system tools and retrieve_tool_result', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let family: ToolFamily;
  const ids = { admin: '', alice: '', bob: '' };
  const keys = { alice: '', bob: '' };

  before(async () => {
    t = await startTestPlatform();
    const s = t.platform.services;
    family = systemToolsFamily({
      configIntrospection: configIntrospection({
        kinds: s.kindRegistrations,
        queries: s.queries.resources,
        permissionsOf: async (u) => (await s.queries.identity.permissionsOf(u)).permissions,
      }),
      codeExecution: codeExecution({ runner: s.functionRunner, timeoutMs: 30_000 }),
    });
    keys.alice = await userKey(t, 'alice');
    keys.bob = await userKey(t, 'bob');
    ids.alice = await ensureUser(t, 'alice@example.com');
    ids.bob = await ensureUser(t, 'bob@example.com');
    ids.admin = await ensureUser(t, 'admin@sinas.local');
    const as = (key: string, path: string, json: unknown) =>
      t.api(path, { method: 'POST', headers: { 'x-api-key': key }, json });
    const created = [
      await as(keys.alice, '/api/v1/secrets', {
        name: 'token',
        value: 'alice-secret-value',
        visibility: 'private',
      }),
      await as(keys.bob, '/api/v1/secrets', {
        name: 'token',
        value: 'bob-secret-value',
        visibility: 'private',
      }),
      await t.api('/api/v1/secrets', {
        method: 'POST',
        json: { name: 'shared_token', value: 'shared-secret-value', visibility: 'shared' },
      }),
      await t.api('/api/v1/secrets', {
        method: 'POST',
        json: { name: 'admin_own', value: 'admin-secret-value', visibility: 'private' },
      }),
      await as(keys.alice, '/api/v1/functions', {
        namespace: 'alice',
        name: 'f',
        code: 'def handler(input_data, context):\n    return "ALICE_CODE"\n',
      }),
      await as(keys.bob, '/api/v1/functions', {
        namespace: 'bob',
        name: 'f',
        code: 'def handler(input_data, context):\n    return "BOB_CODE"\n',
      }),
      await t.api('/api/v1/llm-providers', {
        method: 'POST',
        json: { name: 'upstream', api_endpoint: 'http://127.0.0.1:9/v1', api_key: 'sk-provider-key-value' },
      }),
    ];
    for (const r of created) expect(r.status, await r.text()).to.be.oneOf([200, 201]);
    const hook = { path: 'alice/hook', function_namespace: 'alice', function_name: 'f' };
    expect((await as(keys.alice, '/api/v1/webhooks', hook)).status).to.equal(201);
  });
  after(async () => t?.stop());

  describe('configIntrospection', () => {
    it('is offered for the string and for {name: "configIntrospection"}, and not otherwise', async () => {
      const names = async (tools: unknown[]) =>
        (await family.offer(asChat(ids.alice, tools))).map((o) => o.tool.function.name);
      const all = ['sinas_config_inspect', 'sinas_config_list', 'sinas_config_get'];
      expect(await names(['configIntrospection'])).to.deep.equal(all);
      expect(await names([{ name: 'configIntrospection' }])).to.deep.equal(all);
      expect(await names([])).to.deep.equal([]);
      const list = (await family.offer(asChat(ids.alice, ['configIntrospection'])))[1]!;
      const typeEnum = (list.tool.function.parameters as { properties: { type: { enum: string[] } } })
        .properties.type.enum;
      expect(typeEnum).to.include.members(['agents', 'functions', 'secrets', 'llmProviders']);
      expect(family.rerunnable(list.target)).to.equal(true);
    });

    it("lists a user's own and shared items, never another user's private ones", async () => {
      const alice = asChat(ids.alice, ['configIntrospection']);
      const secrets = await call(family, alice, 'sinas_config_list', { type: 'secrets' });
      expect(secrets.status).to.equal('ok');
      const listed = (secrets.result as { items: { visibility: string; name: string }[] }).items;
      expect(listed.map((i) => `${i.visibility}/${i.name}`).sort()).to.deep.equal([
        'private/token',
        'shared/shared_token',
      ]);
      const fns = await call(family, alice, 'sinas_config_list', { type: 'functions' });
      expect((fns.result as { items: { namespace: string }[] }).items.map((i) => i.namespace)).to.deep.equal([
        'alice',
      ]);
      const bobsFn = await call(family, alice, 'sinas_config_get', {
        type: 'functions',
        namespace: 'bob',
        name: 'f',
      });
      expect(bobsFn).to.deep.include({ status: 'error' });
      expect(JSON.stringify(bobsFn.result)).not.to.contain('BOB_CODE');
      const providers = await call(family, alice, 'sinas_config_list', { type: 'llmProviders' });
      expect((providers.result as { items: unknown[] }).items).to.deep.equal([]);
      const hooks = await call(family, alice, 'sinas_config_list', { type: 'webhooks' });
      expect((hooks.result as { items: unknown[] }).items).to.deep.equal([
        {
          id: (hooks.result as { items: { id: string }[] }).items[0]?.id,
          path: 'alice/hook',
          description: null,
          version: 1,
          is_active: true,
        },
      ]);
      const inspect = await call(family, alice, 'sinas_config_inspect');
      expect(inspect.result).to.deep.include({ resource_counts: { secrets: 2, functions: 1, webhooks: 1 } });
    });

    it('gets one item as the API shows it: its own private item, no write-only value', async () => {
      const get = (userId: string, args: Record<string, unknown>) =>
        call(family, asChat(userId, ['configIntrospection']), 'sinas_config_get', args);
      const alices = await get(ids.alice, { type: 'secrets', namespace: 'private', name: 'token' });
      expect(alices.status).to.equal('ok');
      const data = (alices.result as { data: Record<string, unknown> }).data;
      expect(data).to.include({ name: 'token', visibility: 'private', user_id: ids.alice, has_value: true });
      expect(data).not.to.have.property('value');
      const text = JSON.stringify(alices.result);
      expect(text).not.to.contain('alice-secret-value');
      expect(text).not.to.contain('bob-secret-value');
      const bobs = await get(ids.bob, { type: 'secrets', namespace: 'private', name: 'token' });
      expect((bobs.result as { data: Record<string, unknown> }).data).to.include({ user_id: ids.bob });
      const fn = await get(ids.alice, { type: 'functions', namespace: 'alice', name: 'f' });
      expect(JSON.stringify(fn.result)).to.contain('ALICE_CODE');
    });

    it("shows an administrator admin-only kinds without write-only fields, and no user's private secret", async () => {
      const admin = asChat(ids.admin, [{ name: 'configIntrospection' }]);
      const provider = await call(family, admin, 'sinas_config_get', {
        type: 'llmProviders',
        namespace: 'default',
        name: 'upstream',
      });
      expect(provider.status).to.equal('ok');
      const data = (provider.result as { data: Record<string, unknown> }).data;
      expect(data).to.include({ name: 'upstream', has_api_key: true });
      expect(data).not.to.have.property('api_key');
      expect(JSON.stringify(provider.result)).not.to.contain('sk-provider-key-value');
      const secrets = await call(family, admin, 'sinas_config_list', { type: 'secrets' });
      const listed = (secrets.result as { items: { visibility: string; name: string }[] }).items;
      expect(listed.map((i) => `${i.visibility}/${i.name}`).sort()).to.deep.equal([
        'private/admin_own',
        'shared/shared_token',
      ]);
      const alices = await call(family, admin, 'sinas_config_get', {
        type: 'secrets',
        namespace: 'private',
        name: 'token',
      });
      expect(alices.status).to.equal('error');
    });

    it('answers an unknown type with an error naming the field', async () => {
      const r = await call(family, asChat(ids.alice, ['configIntrospection']), 'sinas_config_list', {
        type: 'nope',
      });
      expect(r.status).to.equal('error');
      expect((r.result as { error: string }).error).to.match(/^type: unknown resource type 'nope'/);
    });
  });

  describe('codeExecution', () => {
    before(function () {
      const sandbox = t.platform.services.functionRunner?.health().sandbox;
      if (sandbox !== 'docker' && sandbox !== 'bubblewrap')
        skipLoudly(this, 'docker/bubblewrap', `the platform's function runner is ${String(sandbox)}`);
    });

    it('runs Python in the sandbox: stdout, the last expression as result, not re-run after a crash', async () => {
      const chat = asChat(ids.alice, ['codeExecution']);
      const offered = await family.offer(chat);
      expect(offered.map((o) => o.tool.function.name)).to.deep.equal(['execute_code']);
      expect(offered[0]!.tool.function.description).to.contain('Only the Python standard library');
      expect(family.rerunnable(offered[0]!.target)).to.equal(false);
      const r = await call(family, chat, 'execute_code', {
        code: 'import math\nprint("hi")\nmath.factorial(10)',
      });
      expect(r).to.deep.include({ status: 'ok' });
      expect(r.result).to.deep.equal({ stdout: 'hi\n', result: 3628800 });
      const odd = await call(family, chat, 'execute_code', { code: 'object()' });
      expect((odd.result as { result: string }).result).to.match(/^<object object at/);
    });

    it('answers an exception with its traceback, and a runaway loop with the time limit', async () => {
      const chat = asChat(ids.alice, [{ name: 'codeExecution' }]);
      const failed = await call(family, chat, 'execute_code', { code: 'print("before")\n1/0' });
      expect(failed.status).to.equal('error');
      expect(failed.result).to.deep.include({ stdout: 'before\n' });
      expect((failed.result as { error: string }).error).to.contain('ZeroDivisionError');
      const s = t.platform.services;
      const quick = systemToolsFamily({
        configIntrospection: configIntrospection({
          kinds: [],
          queries: s.queries.resources,
          permissionsOf: async () => ({}),
        }),
        codeExecution: codeExecution({ runner: s.functionRunner, timeoutMs: 1500 }),
      });
      const loop = await call(quick, chat, 'execute_code', { code: 'while True:\n    pass' });
      expect(loop).to.deep.include({ status: 'error' });
      expect((loop.result as { error: string }).error).to.equal('Code execution timed out after 1.5 s');
      const none = await call(family, chat, 'execute_code', { code: ' ' });
      expect((none.result as { error: string }).error).to.match(/^code: /);
    });

    it("never runs one user's code where another user's ran", async () => {
      const write = 'open("/tmp/left-behind", "w").write("alice was here")\n"written"';
      const alice = await call(family, asChat(ids.alice, ['codeExecution'], 'shared-chat'), 'execute_code', {
        code: write,
      });
      expect(alice.result).to.deep.include({ result: 'written' });
      const bob = await call(family, asChat(ids.bob, ['codeExecution'], 'shared-chat'), 'execute_code', {
        code: 'import os\nos.path.exists("/tmp/left-behind")',
      });
      expect(bob.result).to.deep.include({ result: false });
    });
  });

  describe('retrieve_tool_result', () => {
    let chatA = '';
    let chatB = '';
    let callId = '';
    let events: RecordedEvent[] = [];
    before(async () => {
      // with no provider, the development model runs the turn and calls the function it is told to
      expect((await t.api('/api/v1/llm-providers/upstream', { method: 'DELETE' })).status).to.equal(204);
      const fn = await t.api('/api/v1/functions', {
        method: 'POST',
        json: {
          namespace: 'demo',
          name: 'echo',
          code: 'def handler(input_data, context):\n    return {"echo": input_data.get("text"), "rows": list(range(3))}\n',
          input_schema: { type: 'object' },
        },
      });
      expect(fn.status).to.equal(201);
      const agent = await t.api('/api/v1/agents', {
        method: 'POST',
        json: { namespace: 'demo', name: 'retriever', enabled_functions: ['demo/echo'] },
      });
      expect(agent.status).to.equal(201);
      const chat = async () =>
        (await (await t.api('/agents/demo/retriever/chats', { method: 'POST', json: {} })).json())
          .id as string;
      chatA = await chat();
      chatB = await chat();
      const posted = await t.api(`/chats/${chatA}/messages`, {
        method: 'POST',
        json: { content: 'call demo/echo {"text": "hello"}' },
      });
      expect(posted.status, await posted.text()).to.equal(200);
      events = await t.platform.services.eventStore.readStream(`chat-${chatA}`);
      const done = events.find((e) => e.type === 'ToolCallCompleted');
      expect(done, 'the turn recorded a tool result').to.not.equal(undefined);
      callId = (done!.data as { toolCallId: string }).toolCallId;
    });

    const retrieve = (chatId: string, id: unknown) => {
      const f = retrieveToolResultFamily(t.platform.services.streams);
      const chat = asChat(ids.admin, [], chatId);
      return call(f, chat, 'retrieve_tool_result', { tool_call_id: id });
    };

    it("returns the chat's own call as the stored record", async () => {
      const r = await retrieve(chatA, callId);
      expect(r.status).to.equal('ok');
      const record = r.result as Record<string, unknown>;
      expect(record).to.deep.include({
        tool_call_id: callId,
        tool_name: 'demo__echo',
        arguments: { text: 'hello' },
        result: { echo: 'hello', rows: [0, 1, 2] },
        status_code: 200,
        source: 'function',
      });
      expect(record.duration_ms).to.be.a('number');
      expect(Number.isNaN(Date.parse(record.created_at as string))).to.equal(false);
    });

    it("refuses another chat's call id and an unknown one", async () => {
      expect((await retrieve(chatB, callId)).result).to.deep.equal(NOT_FOUND);
      expect((await retrieve(chatA, 'call_unknown')).result).to.deep.equal(NOT_FOUND);
      expect((await retrieve(chatA, '')).status).to.equal('error');
    });

    it('returns the full text when the model saw a cut copy (fullResult)', () => {
      const cut = events.map((e) =>
        e.type === 'ToolCallCompleted' ? { ...e, data: { ...e.data, fullResult: '{"all": "of it"}' } } : e,
      );
      expect(recordOf(cut, callId)).to.deep.include({ result: { all: 'of it' } });
    });
  });
});
