/**
 * Ownership wherever code runs: a function runs only for a user holding `execute:all` on it, or
 * `execute:own` and owning it — by execute and execute/async, by continue (only its own user), as a
 * tool of an agent (checked at each call, for the chat's user: a refused call is a "not permitted"
 * tool result and the turn goes on), as a hook (a refused hook blocks), and an administrator's
 * shared_pool function included. Saving an agent (API or config apply) that names a function its
 * author may not execute is a 403 naming the field; one naming no function a 400, and so is one
 * naming a function its author may not even read (it does not exist for them).
 */
import { expect } from 'chai';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import {
  ensureUser,
  startTestPlatform,
  useProvider,
  userKey,
  type JsonResponse,
  type TestPlatform,
} from '../support/platform.js';
import { executionsCaughtUp } from '../support/executions-caught-up.js';

const ECHO = `
def handler(input_data, context):
    return {"echo": input_data.get("text"), "user": context["user_id"]}
`;
const ASK = `
def handler(input_data, context):
    return {"answer": input("question?")}
`;
const SHOUT = `
def handler(input_data, context):
    return {"content": input_data["message"]["content"].upper()}
`;

describe("execute ownership: who may run someone's function, on every path", function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  let bobId = '';

  /** a request as `who` (the admin when none) */
  const call = (path: string, json?: unknown, who: Record<string, string> = {}, method?: string) =>
    t.api(path, {
      method: method ?? (json === undefined ? 'GET' : 'POST'),
      headers: who,
      ...(json !== undefined ? { json } : {}),
    });
  const must = async (r: Promise<JsonResponse>, status: number) => {
    const res = await r;
    if (res.status !== status) throw new Error(`setup: ${res.url} gave ${res.status}: ${await res.text()}`);
    return res;
  };
  /** a role granting `permissions`, with bob in it until `revoke()` */
  const grantBob = async (name: string, permissions: Record<string, boolean>) => {
    await must(call('/api/v1/roles', { name, permissions }), 201);
    await must(call(`/api/v1/roles/${name}/members`, { user_id: bobId }), 201);
    return {
      revoke: () => must(call(`/api/v1/roles/${name}/members/${bobId}`, undefined, {}, 'DELETE'), 204),
      regrant: () => must(call(`/api/v1/roles/${name}/members`, { user_id: bobId }), 201),
    };
  };
  const execute = (fn: string, who: Record<string, string>, suffix = '') =>
    call(`/functions/${fn}/execute${suffix}`, { input: { text: 'hi' } }, who);
  /** read once the executions read model has caught up with the runs the test just saw end */
  const bobsExecutions = async () => {
    await executionsCaughtUp(t);
    return ((await (await call('/executions', undefined, bob)).json()) as { function_name: string }[]).map(
      (e) => e.function_name,
    );
  };

  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    alice = { 'x-api-key': await userKey(t, 'own-alice') };
    bob = { 'x-api-key': await userKey(t, 'own-bob') };
    bobId = await ensureUser(t, 'own-bob@example.com');
    const fn = (name: string, code: string, extra: object = {}, who = alice) =>
      must(call('/api/v1/functions', { namespace: 'al', name, code, ...extra }, who), 201);
    await fn('echo', ECHO);
    await fn('ask', ASK);
    await fn('shout', SHOUT);
    await fn('pooled', ECHO, { shared_pool: true }, {}); // the administrator's
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  beforeEach(() => llm.reset());

  it("refuses another user's function by execute and execute/async (403 naming it); nothing runs", async () => {
    for (const suffix of ['', '/async']) {
      const r = await execute('al/echo', bob, suffix);
      expect(r.status, suffix).to.equal(403);
      expect(r.headers.get('content-type')).to.match(/problem\+json/);
      expect((await r.json()).detail).to.contain("'al/echo'");
    }
    expect(await bobsExecutions()).to.deep.equal([]);
    const own = await (await execute('al/echo', alice)).json();
    expect(own).to.include({ status: 'success' });
    const byAdmin = await (await execute('al/echo', {})).json();
    expect(byAdmin).to.include({ status: 'success' }); // sinas.*:all
  });

  it('runs it for a user holding a grant that names it, or execute:all; a revoked grant stops the next call', async () => {
    const named = await grantBob('RunAliceEcho', { 'sinas.functions/al/echo.execute:all': true });
    const ran = await (await execute('al/echo', bob)).json();
    expect(ran.status, JSON.stringify(ran)).to.equal('success');
    expect(ran.result.user).to.equal(bobId);
    expect((await execute('al/echo', bob, '/async')).status).to.equal(202);
    await named.revoke();
    expect((await execute('al/echo', bob)).status).to.equal(403);

    const every = await grantBob('RunEveryFunction', { 'sinas.functions/*/*.execute:all': true });
    expect((await (await execute('al/echo', bob)).json()).status).to.equal('success');
    await every.revoke();
    expect((await execute('al/echo', bob)).status).to.equal(403);
  });

  it("runs an administrator's shared_pool function only for users allowed to execute it", async () => {
    const denied = await execute('al/pooled', bob);
    expect(denied.status).to.equal(403);
    expect((await (await execute('al/pooled', {})).json()).status).to.equal('success');
    const grant = await grantBob('RunPooled', { 'sinas.functions/al/pooled.execute:all': true });
    expect((await (await execute('al/pooled', bob)).json()).status).to.equal('success');
    await grant.revoke();
  });

  it('continues a paused execution only for the user who started it, while they may still execute it', async () => {
    const alices = (await (await execute('al/ask', alice)).json()).execution_id as string;
    const byAdmin = await call(`/executions/${alices}/continue`, { input: 'from the admin' });
    expect(byAdmin.status).to.equal(403);
    const done = await (await call(`/executions/${alices}/continue`, { input: 'mine' }, alice)).json();
    expect(done).to.include({ status: 'success' });

    const grant = await grantBob('AskAlice', { 'sinas.functions/al/ask.execute:all': true });
    const paused = await (await execute('al/ask', bob)).json();
    expect(paused.status).to.equal('awaiting_input');
    await grant.revoke();
    const refused = await call(`/executions/${paused.execution_id}/continue`, { input: 'x' }, bob);
    expect(refused.status).to.equal(403);
    expect((await (await call(`/executions/${paused.execution_id}`, undefined, bob)).json()).status).to.equal(
      'AWAITING_INPUT',
    );
    await grant.regrant();
    const resumed = await call(`/executions/${paused.execution_id}/continue`, { input: 'y' }, bob);
    expect((await resumed.json()).output_data).to.deep.equal({ answer: 'y' });
    await grant.revoke();
  });

  it("refuses to save an agent naming a function that is missing or not the author's: the same 400 naming the field", async () => {
    const agent = (json: object, who = bob) => call('/api/v1/agents', { namespace: 'bo', ...json }, who);
    const answer = async (r: JsonResponse) => {
      const p = await r.json();
      return { status: r.status, field: p.field, detail: p.detail, code: p.code };
    };
    const foreign = await answer(await agent({ name: 'tooled', enabled_functions: ['al/echo'] }));
    expect(foreign).to.deep.equal({
      status: 400,
      field: 'enabled_functions[0]',
      detail: "enabled_functions[0]: no function 'al/echo'",
      code: 'validation_failed',
    });
    const none = await answer(await agent({ name: 'tooled', enabled_functions: ['al/not_there'] }));
    expect(none).to.deep.equal({ ...foreign, detail: "enabled_functions[0]: no function 'al/not_there'" });
    const hook = await agent({ name: 'hooked', hooks: { on_user_message: [{ function: 'al/shout' }] } });
    expect(hook.status).to.equal(400);
    expect((await hook.json()).field).to.equal('hooks.on_user_message[0].function');

    // once bob may read it (but still not run it), the refusal says why: 403
    const reader = await grantBob('ReadAliceEcho', { 'sinas.functions/al/echo.read:all': true });
    const readable = await agent({ name: 'tooled', enabled_functions: ['al/echo'] });
    expect(readable.status).to.equal(403);
    const rp = await readable.json();
    expect(rp.field).to.equal('enabled_functions[0]');
    expect(rp.detail).to.contain("not permitted to execute function 'al/echo'");
    await reader.revoke();
  });

  it("refuses an update naming a function its author may not use and keeps the agent as it was; an administrator's save passes", async () => {
    const agent = (json: object, who = bob) => call('/api/v1/agents', { namespace: 'bo', ...json }, who);
    await must(call('/api/v1/functions', { namespace: 'bo', name: 'mine', code: ECHO }, bob), 201);
    await must(agent({ name: 'plain', enabled_functions: ['bo/mine'] }), 201);
    const update = await call(
      '/api/v1/agents/bo/plain',
      { enabled_functions: ['bo/mine', 'al/echo'] },
      bob,
      'PUT',
    );
    expect(update.status).to.equal(400);
    expect((await update.json()).field).to.equal('enabled_functions[1]');
    const kept = await (await call('/api/v1/agents/bo/plain', undefined, bob)).json();
    expect(kept.enabled_functions).to.deep.equal(['bo/mine']);
    await must(agent({ name: 'admins', enabled_functions: ['al/echo'] }, {}), 201);
  });

  it('refuses a config apply naming a function the applier may not execute, before writing anything', async () => {
    await must(
      call('/api/v1/roles', { name: 'Appliers', permissions: { 'sinas.config.apply:all': true } }),
      201,
    );
    const applier = { 'x-api-key': await userKey(t, 'own-applier', ['Users', 'Appliers']) };
    const config = (agents: string, functions = '') =>
      `apiVersion: sinas.co/v1\nkind: SinasConfig\nmetadata: { name: own }\nspec:\n${functions}  agents:\n${agents}`;
    const foreign = config('    - { namespace: ap, name: bot, enabledFunctions: [al/echo] }\n');
    for (const dryRun of [true, false]) {
      const r = await call(
        `/api/v1/config/apply${dryRun ? '?dryRun=true' : ''}`,
        { config: foreign },
        applier,
      );
      expect(r.status, `dryRun ${dryRun}`).to.equal(403);
      const p = await r.json();
      expect(p.field).to.equal('spec.agents[0].enabledFunctions[0]');
      expect(p.detail).to.contain("'al/echo'");
    }
    expect((await call('/api/v1/agents/ap/bot')).status).to.equal(404);
    // a function the same config creates is the applier's own
    const own = config(
      '    - { namespace: ap, name: bot, enabledFunctions: [ap/fn] }\n',
      `  functions:\n    - namespace: ap\n      name: fn\n      code: |\n${ECHO.trim()
        .split('\n')
        .map((l) => `        ${l}`)
        .join('\n')}\n`,
    );
    const applied = await call('/api/v1/config/apply', { config: own }, applier);
    expect(applied.status, await applied.clone().text()).to.equal(200);
  });

  it("answers a tool call the chat's user may not run with a recorded 'not permitted' result, and the turn goes on", async () => {
    const grant = await grantBob('ToolAlice', { 'sinas.functions/al/echo.execute:all': true });
    await must(
      call('/api/v1/agents', { namespace: 'bo', name: 'helper', enabled_functions: ['al/echo'] }, bob),
      201,
    );
    const send = async (text: string) => {
      const chat = await (await call('/agents/bo/helper/chats', {}, bob)).json();
      llm.script([
        { toolCalls: [{ id: `call_${text}`, name: 'al__echo', arguments: { text } }] },
        { text: `done ${text}` },
      ]);
      const reply = await (await call(`/chats/${chat.id}/messages`, { content: text }, bob)).json();
      const state = await (await call(`/chats/${chat.id}`, undefined, bob)).json();
      return { reply, call: state.tool_calls[0], chatId: chat.id as string };
    };
    const allowed = await send('granted');
    expect(allowed.call.status).to.equal('ok');
    expect(JSON.parse(allowed.call.result)).to.deep.equal({ echo: 'granted', user: bobId });

    await grant.revoke();
    llm.reset();
    const echoes = async () => (await bobsExecutions()).filter((n) => n === 'echo').length;
    const before = await echoes();
    const refused = await send('revoked');
    expect(refused.reply.content).to.equal('done revoked'); // the model answered after the refusal
    expect(refused.call.status).to.equal('forbidden');
    expect(JSON.parse(refused.call.result)).to.include({ error: 'Not permitted' });
    const toolMessage = (llm.requests[1]!.messages as { role: string; content: string }[]).find(
      (m) => m.role === 'tool',
    );
    expect(toolMessage?.content).to.contain('not permitted to execute function');
    const path = `/chats/${refused.chatId}/timeline?type=ToolCallCompleted`;
    const { items } = await (await call(path, undefined, bob)).json();
    expect(items).to.have.length(1);
    expect(items[0].data).to.include({ status: 'forbidden', toolCallId: 'call_revoked' });
    expect(await echoes()).to.equal(before); // it never ran
  });

  it("blocks a message whose hook the chat's user may not run, without running it or the model", async () => {
    const grant = await grantBob('HookAlice', { 'sinas.functions/al/shout.execute:all': true });
    await must(
      call(
        '/api/v1/agents',
        { namespace: 'bo', name: 'shouty', hooks: { on_user_message: [{ function: 'al/shout' }] } },
        bob,
      ),
      201,
    );
    const send = async (content: string) => {
      const chat = await (await call('/agents/bo/shouty/chats', {}, bob)).json();
      return (await call(`/chats/${chat.id}/messages`, { content }, bob)).json();
    };
    await send('hello there');
    const seen = (llm.requests.at(-1)!.messages as { role: string; content: string }[]).at(-1)!;
    expect(seen).to.deep.include({ role: 'user', content: 'HELLO THERE' });

    await grant.revoke();
    llm.reset();
    const blocked = await send('hello again');
    expect(blocked.content).to.equal("Message blocked: hook 'al/shout' is not permitted for this user");
    expect(llm.requests).to.have.length(0);
    expect((await bobsExecutions()).filter((n) => n === 'shout')).to.have.length(1); // the granted one
  });
});
