/**
 * Reads filtered by what the reader may read (issue 12, finding 4): Bob's agent runs Alice's
 * function (Bob may execute it, not read it), Carol may chat with Alice's agent but not read it,
 * and Alice keeps a chat of her own. Every read path — chat and execution timelines, the chat's
 * event stream, the audit log and export under a narrow audit grant, event-webhook payloads —
 * shows Alice's function and agent to them as references without code or prompt, never Alice's
 * chat; administrators and auditors still see every event whole.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { canonicalJson } from '../../src/audit/canonical.js';
import { verifyExport } from '../../src/audit/export-chain.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import {
  ensureUser,
  startTestPlatform,
  useProvider,
  userKey,
  type TestPlatform,
} from '../support/platform.js';
import { until } from '../support/until.js';

const CODE = (marker: string) =>
  `def handler(input_data, context):\n    # ${marker}\n    return {"ok": True}\n`;
const SECRET = /ALICE-(CODE|PROMPT|PRIVATE)/;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A webhook receiver on 127.0.0.1 keeping every body by path. */
async function startReceiver() {
  const bodies = new Map<string, Json[]>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const list = bodies.get(req.url ?? '/') ?? [];
      list.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      bodies.set(req.url ?? '/', list);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    at: (path: string) => bodies.get(path) ?? [],
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('reads filtered by what the reader may read', function () {
  this.timeout(240_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let rx: Awaited<ReturnType<typeof startReceiver>>;
  const as = {} as Record<'alice' | 'bob' | 'carol' | 'auditor', Record<string, string>>;
  let bobId: string;
  let bobChat: string;
  let bobExecution: string;
  let carolChat: string;
  let aliceChat: string;

  const must = async (path: string, headers: Record<string, string>, json?: unknown, method = 'POST') => {
    const r = await t.api(path, { method, headers, ...(json !== undefined ? { json } : {}) });
    if (r.status >= 300) throw new Error(`setup: ${method} ${path} gave ${r.status}: ${await r.text()}`);
    return r.json();
  };
  const chatWith = async (headers: Record<string, string>, agent: string, content: string) => {
    const id = (await must(`/agents/${agent}/chats`, headers, {})).id as string;
    const reply = await must(`/chats/${id}/messages`, headers, { content });
    expect(reply.status).to.equal('completed');
    return id;
  };

  before(async () => {
    rx = await startReceiver();
    llm = await startScriptedLlm();
    t = await startTestPlatform({ SINAS_WEBHOOK_ALLOWLIST: '127.0.0.1' });
    await useProvider(t, llm.url);
    // Bob may run Alice's function (not read it), read the audit log as far as he may read, and
    // watch every event (scope "all") — which must still show him only what he may read
    await must(
      '/api/v1/roles',
      {},
      {
        name: 'RfBob',
        permissions: {
          'sinas.functions/rfa/tool.execute:all': true,
          'sinas.audit.read:own': true,
          'sinas.webhooks.read:all': true,
        },
      },
    );
    await must(
      '/api/v1/roles',
      {},
      {
        name: 'RfCarol',
        permissions: { 'sinas.agents/rfa/helper.chat:all': true },
      },
    );
    as.alice = { 'x-api-key': await userKey(t, 'rf-alice') };
    as.bob = { 'x-api-key': await userKey(t, 'rf-bob', ['Users', 'RfBob']) };
    as.carol = { 'x-api-key': await userKey(t, 'rf-carol', ['RfCarol']) };
    as.auditor = { 'x-api-key': await userKey(t, 'rf-auditor', ['Auditors']) };
    bobId = await ensureUser(t, 'rf-bob@example.com');
    const watch = { url: '', categories: ['function', 'chat', 'agent'], scope: 'all' };
    await must('/api/v1/event-subscriptions', as.bob, { ...watch, url: `${rx.url}/bob` });
    await must('/api/v1/event-subscriptions', {}, { ...watch, url: `${rx.url}/admin` });

    const fn = {
      namespace: 'rfa',
      name: 'tool',
      code: CODE('ALICE-CODE-1'),
      input_schema: { type: 'object' },
    };
    await must('/api/v1/functions', as.alice, fn);
    await must('/api/v1/functions/rfa/tool', as.alice, { code: CODE('ALICE-CODE-2') }, 'PATCH');
    await must('/api/v1/agents', as.alice, {
      namespace: 'rfa',
      name: 'helper',
      system_prompt: 'ALICE-PROMPT',
    });
    llm.script([{ text: 'hello alice' }]);
    aliceChat = await chatWith(as.alice, 'rfa/helper', 'ALICE-PRIVATE message');

    await must('/api/v1/agents', as.bob, { namespace: 'rfb', name: 'bot', enabled_functions: ['rfa/tool'] });
    llm.script([{ toolCalls: [{ id: 'call_rf', name: 'rfa__tool', arguments: {} }] }, { text: 'ran it' }]);
    bobChat = await chatWith(as.bob, 'rfb/bot', 'run the tool');
    const calls = (await must(`/chats/${bobChat}`, as.bob, undefined, 'GET')).tool_calls;
    bobExecution = calls[0].execution_id;
    expect(bobExecution, 'the tool call ran').to.be.a('string');

    llm.script([{ text: 'hello carol' }]);
    carolChat = await chatWith(as.carol, 'rfa/helper', 'hi');
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
    await rx?.stop();
  });

  const timeline = async (path: string, headers: Record<string, string>) => {
    const r = await t.api(path, { headers });
    expect(r.status).to.equal(200);
    return (await r.json()).items as Json[];
  };
  const ofStream = (items: Json[], stream: string) => items.filter((i) => i.stream === stream);

  it("shows another user's function in a chat timeline as a reference, without its code", async () => {
    expect((await t.api('/api/v1/functions/rfa/tool', { headers: as.bob })).status).to.equal(403);
    const items = await timeline(`/chats/${bobChat}/timeline`, as.bob);
    const fn = ofStream(items, 'function-rfa/tool');
    expect(fn.map((i) => [i.type, i.data, i.reference])).to.deep.equal([
      ['FunctionCreated', null, { kind: 'function', namespace: 'rfa', name: 'tool', version: 1 }],
      ['FunctionUpdated', null, { kind: 'function', namespace: 'rfa', name: 'tool', version: 2 }],
    ]);
    expect(JSON.stringify(items)).to.not.match(SECRET);
    // his own: the agent, the chat and the execution, whole
    expect(ofStream(items, 'agent-rfb/bot')[0].data.spec.enabled_functions).to.deep.equal(['rfa/tool']);
    const requested = items.find((i) => i.type === 'ExecutionRequested');
    expect(requested.data.function).to.include({ namespace: 'rfa', name: 'tool' });
    expect(items.find((i) => i.type === 'UserMessagePosted').data.content).to.equal('run the tool');
  });

  it("shows it so in the execution's timeline too", async () => {
    const items = await timeline(`/executions/${bobExecution}/timeline`, as.bob);
    const fn = ofStream(items, 'function-rfa/tool');
    expect(fn).to.have.length(2);
    expect(fn.every((i) => i.data === null && i.reference.kind === 'function')).to.equal(true);
    expect(JSON.stringify(items)).to.not.match(SECRET);
    expect(items.find((i) => i.type === 'ExecutionCompleted').data.output).to.deep.equal({ ok: true });
  });

  it('shows an agent the reader may chat with but not read as a reference, without its prompt', async () => {
    expect((await t.api('/api/v1/agents/rfa/helper', { headers: as.carol })).status).to.equal(403);
    const items = await timeline(`/chats/${carolChat}/timeline`, as.carol);
    const agent = ofStream(items, 'agent-rfa/helper');
    expect(agent.map((i) => [i.type, i.data, i.reference])).to.deep.equal([
      ['AgentCreated', null, { kind: 'agent', namespace: 'rfa', name: 'helper', version: 1 }],
    ]);
    expect(JSON.stringify(items)).to.not.match(SECRET);
    expect(items.find((i) => i.type === 'AssistantMessageCompleted').data.content).to.equal('hello carol');
  });

  it("streams only the chat's own events on /chats/{id}/events", async () => {
    const res = await fetch(`${t.url}/chats/${bobChat}/events`, { headers: as.bob });
    const reader = res.body!.getReader();
    let text = '';
    // until the durable reply (its deltas carry the words apart)
    while (!text.includes('"content":"ran it"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).to.contain('ran it');
    expect(text).to.not.match(SECRET);
    expect(text).to.not.match(/event: (Function|Agent|Execution)/);
  });

  it('still shows administrators and auditors every event whole', async () => {
    for (const headers of [{}, as.auditor]) {
      const items = await timeline(`/chats/${bobChat}/timeline`, headers);
      const updated = ofStream(items, 'function-rfa/tool').find((i) => i.type === 'FunctionUpdated');
      expect(updated.data.changes.code).to.contain('ALICE-CODE-2');
      expect(updated).to.not.have.property('reference');
      const carol = await timeline(`/chats/${carolChat}/timeline`, headers);
      expect(ofStream(carol, 'agent-rfa/helper')[0].data.spec.system_prompt).to.equal('ALICE-PROMPT');
    }
  });

  it('reads the audit log under sinas.audit.read:own as far as the reader may read', async () => {
    const read = async (query: string, headers: Record<string, string>) => {
      const r = await t.api(`/api/v1/audit/events?${query}`, { headers });
      expect(r.status, await r.clone().text()).to.equal(200);
      return (await r.json()).events as Json[];
    };
    const functions = await read('category=function', as.bob);
    expect(functions.map((e) => [e.type, e.reference?.name])).to.deep.equal([
      ['FunctionCreated', 'tool'],
      ['FunctionUpdated', 'tool'],
    ]);
    expect(functions.every((e) => !('data' in e) && /^[0-9a-f]{64}$/.test(e.digest))).to.equal(true);
    const chats = new Set((await read('category=chat', as.bob)).map((e) => e.stream));
    expect([...chats]).to.deep.equal([`chat-${bobChat}`]);
    expect(await read(`stream=chat-${aliceChat}`, as.bob)).to.deep.equal([]);
    expect(JSON.stringify(await read('limit=1000', as.bob))).to.not.match(/ALICE-(CODE|PRIVATE)/);
    // an auditor still reads everything whole
    const whole = await read('category=function', as.auditor);
    expect(whole.map((e) => e.data.spec?.code ?? e.data.changes.code).join()).to.contain('ALICE-CODE-1');
    expect((await read(`stream=chat-${aliceChat}`, as.auditor)).length).to.be.greaterThan(0);
    // Users hold no audit permission at all
    expect((await t.api('/api/v1/audit/events', { headers: as.alice })).status).to.equal(403);
  });

  it("exports a narrow reader's view that verifies, each reference line matching the full export by digest", async () => {
    const fingerprint = (await (await t.api('/api/v1/audit/public-key')).json()).fingerprint;
    const exported = async (headers: Record<string, string>) => {
      const r = await t.api('/api/v1/audit/export?category=function', { headers });
      expect(r.status).to.equal(200);
      const text = await r.text();
      expect(verifyExport(text, fingerprint)).to.include({ ok: true, count: 2 });
      const lines = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      return { events: lines.slice(0, -1).map((l) => l.event as Json), summary: lines.at(-1).summary };
    };
    const bob = await exported(as.bob);
    expect(JSON.stringify(bob)).to.not.match(SECRET);
    expect(bob.summary.view).to.deep.equal({ reader: bobId, scope: 'own' });
    const full = await exported({});
    expect(full.summary.view.scope).to.equal('all');
    expect(full.events.map((e) => 'data' in e)).to.deep.equal([true, true]);
    const digest = (e: Json) => createHash('sha256').update(canonicalJson(e)).digest('hex');
    expect(bob.events.map((e) => e.digest)).to.deep.equal(full.events.map(digest));
    expect(bob.events.map((e) => e.id)).to.deep.equal(full.events.map((e) => e.id));
  });

  it("delivers to an event subscription only what its owner may read, even with scope 'all'", async () => {
    // a change of Bob's own, after everything else: once it arrives, all before it was handled
    await must('/api/v1/agents/rfb/bot', as.bob, { description: 'drain' }, 'PATCH');
    const drained = (path: string) =>
      rx.at(path).some((b) => b.type === 'AgentUpdated' && b.data.stream === 'agent-rfb/bot');
    await until('the webhooks to reach the last change', () => drained('/bob') && drained('/admin'));
    const bob = rx.at('/bob');
    const fn = bob.filter((b) => b.data.stream === 'function-rfa/tool');
    expect(fn.map((b) => [b.type, b.data.data, b.data.reference?.version])).to.deep.equal([
      ['FunctionCreated', null, 1],
      ['FunctionUpdated', null, 2],
    ]);
    expect(JSON.stringify(bob)).to.not.match(/ALICE-(CODE|PRIVATE)/);
    const streams = new Set(bob.map((b) => b.data.stream as string));
    expect([...streams].filter((s) => s.startsWith('chat-'))).to.deep.equal([`chat-${bobChat}`]);
    // the administrator's subscription still gets every event whole
    const admin = rx.at('/admin');
    const code = admin.find((b) => b.type === 'FunctionUpdated')?.data.data.changes.code;
    expect(code).to.contain('ALICE-CODE-2');
    expect(admin.some((b) => b.data.stream === `chat-${aliceChat}`)).to.equal(true);
  });
});
