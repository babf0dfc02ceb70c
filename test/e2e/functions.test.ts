/**
 * Functions and executions over HTTP, run by the platform's own runner (Docker when the test run
 * started a daemon, else the bubblewrap/subprocess sandbox): create with a Python syntax check,
 * run sync and async, pause twice on input() and continue, output checks, cancel, ownership.
 */
import { expect } from 'chai';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { executionsCaughtUp } from '../support/executions-caught-up.js';

const ADD = `
def handler(input_data, context):
    print("adding", input_data["a"], input_data["b"])
    return {"sum": input_data["a"] + input_data["b"], "trigger": context["trigger_type"]}
`;
const ASK = `
def handler(input_data, context):
    name = input("your name?")
    age = input("your age?")
    return {"greeting": f"hello {name['value']}, {age['value']}", "execution": context["execution_id"]}
`;

describe('functions and executions', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform();
  });
  after(async () => t?.stop());

  const createFn = (name: string, code: string, extra: object = {}) =>
    t.api('/api/v1/functions', {
      method: 'POST',
      json: {
        namespace: 'fx',
        name,
        code,
        input_schema: { type: 'object', properties: { a: { type: 'integer' }, b: { type: 'integer' } } },
        output_schema: { type: 'object' },
        ...extra,
      },
    });
  const poll = async (id: string, until: (e: { status: string }) => boolean) => {
    for (let i = 0; i < 400; i++) {
      const e = await (await t.api(`/executions/${id}`)).json();
      if (until(e)) return e;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`execution ${id} did not reach the state`);
  };

  it('refuses code that does not parse as Python, naming the line, and writes nothing', async () => {
    const r = await createFn('broken', 'def handler(input_data, context):\n    return (\n');
    expect(r.status).to.equal(400);
    const p = await r.json();
    expect(p.field).to.equal('code');
    expect(p.detail).to.match(/line \d+/);
    expect((await t.api('/api/v1/functions/fx/broken')).status).to.equal(404);
  });

  it('runs a function synchronously and asynchronously, and keeps versions from the event stream', async () => {
    expect((await createFn('add', ADD)).status).to.equal(201);
    const sync = await (
      await t.api('/functions/fx/add/execute', { method: 'POST', json: { input: { a: 2, b: '3' } } })
    ).json();
    expect(sync.status).to.equal('success');
    expect(sync.result).to.deep.equal({ sum: 5, trigger: 'API' });
    const detail = await (await t.api(`/executions/${sync.execution_id}`)).json();
    expect(detail.status).to.equal('COMPLETED');
    expect(detail.stdout).to.contain('adding 2 3');
    expect(detail.trigger_type).to.equal('API');

    const queued = await t.api('/functions/fx/add/execute/async', {
      method: 'POST',
      json: { input: { a: 1, b: 1 } },
    });
    expect(queued.status).to.equal(202);
    const { execution_id } = await queued.json();
    const done = await poll(execution_id, (e) => e.status === 'COMPLETED');
    expect(done.output_data).to.deep.equal({ sum: 2, trigger: 'API' });
    // lists come from the read model, which follows the event stream
    await executionsCaughtUp(t);
    const list = await (await t.api('/executions?function_name=fx/add&status=COMPLETED')).json();
    const listed = list.map((e: { id: string }) => e.id);
    expect(listed).to.have.members([sync.execution_id, execution_id]);

    const put = await t.api('/api/v1/functions/fx/add', {
      method: 'PUT',
      json: { code: ADD.replace('adding', 'sum of') },
    });
    expect(put.status).to.equal(200);
    const versions = await (await t.api('/api/v1/functions/fx/add/versions')).json();
    expect(versions.map((v: { type: string }) => v.type)).to.deep.equal([
      'FunctionCreated',
      'FunctionUpdated',
    ]);
  });

  it('rejects input that violates input_schema with a 400 naming the path, starting nothing', async () => {
    const r = await t.api('/functions/fx/add/execute', { method: 'POST', json: { input: { a: 'x', b: 1 } } });
    expect(r.status).to.equal(400);
    expect((await r.json()).field).to.equal('input.a');
  });

  it('pauses on input() twice; each continue answers one; as_of shows the state then', async () => {
    expect((await createFn('ask', ASK, { input_schema: { type: 'object' } })).status).to.equal(201);
    const first = await (
      await t.api('/functions/fx/ask/execute', { method: 'POST', json: { input: {} } })
    ).json();
    expect(first.status).to.equal('awaiting_input');
    expect(first.prompt).to.equal('your name?');
    const id = first.execution_id as string;
    const second = await (
      await t.api(`/executions/${id}/continue`, { method: 'POST', json: { input: { value: 'Ada' } } })
    ).json();
    expect(second.status).to.equal('awaiting_input');
    expect(second.prompt).to.equal('your age?');
    const third = await (
      await t.api(`/executions/${id}/continue`, { method: 'POST', json: { input: { value: 36 } } })
    ).json();
    expect(third.status).to.equal('success');
    expect(third.output_data).to.deep.equal({ greeting: 'hello Ada, 36', execution: id });
    const again = await t.api(`/executions/${id}/continue`, { method: 'POST', json: { input: {} } });
    expect(again.status).to.equal(409);
    const then = await (await t.api(`/executions/${id}?as_of=2`)).json();
    expect(then.status).to.equal('AWAITING_INPUT');
    expect(then.input_prompt).to.equal('your name?');
  });

  it('accepts an empty input_schema ({}: any object) for functions as for agents', async () => {
    const agent = await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'fx', name: 'any_input', input_schema: {} },
    });
    expect(agent.status).to.equal(201);
    const fn = await createFn('any_input', ADD, { input_schema: {} });
    expect(fn.status, await fn.clone().text()).to.equal(201);
    expect((await fn.json()).input_schema).to.deep.equal({});
    const ran = await t.api('/functions/fx/any_input/execute', {
      method: 'POST',
      json: { input: { a: 2, b: 3 } },
    });
    expect((await ran.json()).result).to.deep.equal({ sum: 5, trigger: 'API' });
    const typeless = await createFn('typeless', ADD, { input_schema: { properties: {} } });
    expect(typeless.status).to.equal(400);
    expect((await typeless.json()).field).to.match(/^input_schema/);
  });

  it('answers execute and continue in one shape and one casing', async () => {
    expect((await createFn('ask_shape', ASK, { input_schema: {} })).status).to.equal(201);
    const post = async (path: string, json: object) =>
      (await t.api(path, { method: 'POST', json })).json() as Promise<Record<string, unknown>>;
    const paused = await post('/functions/fx/ask_shape/execute', { input: {} });
    const id = paused.execution_id as string;
    const pausedAgain = await post(`/executions/${id}/continue`, { input: { value: 'Ada' } });
    const done = await post(`/executions/${id}/continue`, { input: { value: 36 } });
    const ran = await post('/functions/fx/ask_shape/execute', { input: {} });
    const keys = ['error', 'execution_id', 'output_data', 'prompt', 'result', 'status'];
    for (const answer of [paused, pausedAgain, done, ran])
      expect(Object.keys(answer).sort()).to.deep.equal(keys);
    expect(paused).to.include({ status: 'awaiting_input', prompt: 'your name?', result: null });
    expect(pausedAgain).to.include({ status: 'awaiting_input', prompt: 'your age?', result: null });
    const greeting = { greeting: 'hello Ada, 36', execution: id };
    expect(done).to.deep.include({
      status: 'success',
      result: greeting,
      output_data: greeting,
      prompt: null,
    });
  });

  it('fails an execution whose output violates output_schema, and one whose handler raises', async () => {
    await createFn('badout', 'def handler(input_data, context):\n    return {"n": "text"}\n', {
      input_schema: { type: 'object' },
      output_schema: { type: 'object', properties: { n: { type: 'integer' } } },
    });
    const bad = await (await t.api('/functions/fx/badout/execute', { method: 'POST', json: {} })).json();
    expect(bad.status).to.equal('error');
    expect(bad.error).to.match(/output_schema/);
    await createFn('raises', 'def handler(input_data, context):\n    raise ValueError("nope")\n', {
      input_schema: { type: 'object' },
    });
    const raised = await (await t.api('/functions/fx/raises/execute', { method: 'POST', json: {} })).json();
    expect(raised.status).to.equal('error');
    const e = await (await t.api(`/executions/${raised.execution_id}`)).json();
    expect(e.status).to.equal('FAILED');
    expect(e.traceback).to.contain('ValueError');
  });

  it('accepts the legacy entry point named after the function, with a deprecation note in its log', async () => {
    await createFn('legacy', 'def legacy(input_data, context):\n    return {"ok": True}\n', {
      input_schema: { type: 'object' },
    });
    const r = await (await t.api('/functions/fx/legacy/execute', { method: 'POST', json: {} })).json();
    expect(r.status).to.equal('success');
    const e = await (await t.api(`/executions/${r.execution_id}`)).json();
    expect(e.logs.join('\n')).to.match(/deprecat/i);
  });

  it('cancels a running execution (its sandbox is killed) and refuses to cancel it twice', async () => {
    await createFn('sleepy', 'import time\ndef handler(input_data, context):\n    time.sleep(60)\n', {
      input_schema: { type: 'object' },
    });
    const { execution_id } = await (
      await t.api('/functions/fx/sleepy/execute/async', { method: 'POST', json: {} })
    ).json();
    await poll(execution_id, (e) => e.status === 'RUNNING');
    const c = await t.api(`/executions/${execution_id}/cancel`, { method: 'POST' });
    expect(c.status).to.equal(200);
    expect((await c.json()).status).to.equal('CANCELLED');
    expect((await t.api(`/executions/${execution_id}/cancel`, { method: 'POST' })).status).to.equal(409);
  });

  it('reports the sandbox it runs functions in', async () => {
    const h = await (await t.api('/health')).json();
    const port = JSON.stringify(h);
    expect(port).to.match(/functionRunner/);
    if (process.env.DOCKER_HOST) expect(port).to.match(/docker/);
  });

  it("keeps executions private: another user's is a 404 to read, list or continue", async () => {
    const mine = await (await t.api('/functions/fx/ask/execute', { method: 'POST', json: {} })).json();
    const other = { 'x-api-key': await userKey(t, 'someone-else') };
    const own = await t.api('/api/v1/functions', {
      method: 'POST',
      headers: other,
      json: { namespace: 'fx', name: 'theirs', code: ADD },
    });
    expect(own.status).to.equal(201);
    expect((await t.api(`/executions/${mine.execution_id}`, { headers: other })).status).to.equal(404);
    await executionsCaughtUp(t); // so that the list would show theirs had it leaked
    const listed = await (await t.api('/executions', { headers: other })).json();
    expect(listed).to.deep.equal([]);
    const cont = await t.api(`/executions/${mine.execution_id}/continue`, {
      method: 'POST',
      headers: other,
      json: { input: 'x' },
    });
    expect(cont.status).to.equal(404);
    const theirs = await (
      await t.api('/functions/fx/theirs/execute', {
        method: 'POST',
        headers: other,
        json: { input: { a: 1, b: 2 } },
      })
    ).json();
    expect(theirs.status).to.equal('success');
    expect((await t.api(`/executions/${theirs.execution_id}`, { headers: other })).status).to.equal(200);
  });

  it('lets only administrators create shared-pool functions', async () => {
    const denied = await t.api('/api/v1/functions', {
      method: 'POST',
      headers: { 'x-api-key': await userKey(t, 'plain-user') },
      json: { namespace: 'fx', name: 'sneaky', code: ADD, shared_pool: true },
    });
    expect(denied.status).to.equal(403);
    expect((await denied.json()).field).to.equal('shared_pool');
    const r = await createFn('pooled', ADD, { shared_pool: true });
    expect(r.status).to.equal(201); // the bootstrap key is an administrator
    const e = await (
      await t.api('/functions/fx/pooled/execute', { method: 'POST', json: { input: { a: 1, b: 2 } } })
    ).json();
    expect(e.status).to.equal('success');
  });
});
