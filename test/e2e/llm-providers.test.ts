import { expect } from 'chai';
import { createHash, randomUUID } from 'node:crypto';
import { DEV_MODEL } from '../../src/runtime/llm/dev-model.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { until } from '../support/until.js';

describe('LLM providers over HTTP (admin)', function () {
  let t: TestPlatform;
  before(async () => (t = await startTestPlatform()));
  after(async () => t && (await t.stop()));

  const SECRET = 'sk-provider-secret-value-123';

  it('creates a provider whose API key is never returned and is only ciphertext in the event log', async () => {
    const res = await t.api('/api/v1/llm-providers', {
      method: 'POST',
      json: {
        name: 'openai-main',
        api_key: SECRET,
        api_endpoint: 'http://127.0.0.1:9/v1',
        default_model: 'gpt-x',
        is_default: true,
      },
    });
    expect(res.status).to.equal(201);
    const body = await res.json();
    expect(body).to.include({
      name: 'openai-main',
      provider_type: 'openai',
      default_model: 'gpt-x',
      is_default: true,
      has_api_key: true,
    });
    expect(body).not.to.have.property('api_key');
    expect(body).not.to.have.property('namespace');
    const got = await (await t.api('/api/v1/llm-providers/openai-main')).json();
    expect(JSON.stringify(got)).not.to.contain(SECRET);
    const events = await t.platform.services.eventStore.readAll({ filter: { categories: ['llmprovider'] } });
    expect(events).to.have.length(1);
    expect(JSON.stringify(events.map((e) => e.data))).not.to.contain(SECRET);
    const rows = await t.platform.services.pool.query('SELECT spec FROM llm_providers');
    expect(JSON.stringify(rows.rows)).not.to.contain(SECRET);
  });

  it('updates with PATCH, keeps one default, and lists', async () => {
    await t.api('/api/v1/llm-providers', {
      method: 'POST',
      json: { name: 'local', api_endpoint: 'http://127.0.0.1:11434/v1', provider_type: 'ollama' },
    });
    const patched = await t.api('/api/v1/llm-providers/local', {
      method: 'PATCH',
      json: { is_default: true },
    });
    expect(patched.status).to.equal(200);
    const list = await (await t.api('/api/v1/llm-providers')).json();
    expect(
      list.filter((p: { is_default: boolean }) => p.is_default).map((p: { name: string }) => p.name),
    ).to.deep.equal(['local']);
  });

  it('rejects bad fields naming them', async () => {
    const r = await t.api('/api/v1/llm-providers', {
      method: 'POST',
      json: { name: 'x', provider_type: 'nope', api_endpoint: 'ftp://x' },
    });
    expect(r.status).to.equal(400);
    const fields = (await r.json()).errors.map((e: { field: string }) => e.field);
    expect(fields).to.include.members(['provider_type', 'api_endpoint']);
  });

  it('is addressed by its id as well as its name (the original PATCHes and DELETEs by id)', async () => {
    const made = await t.api('/api/v1/llm-providers', {
      method: 'POST',
      json: { name: 'by-id', api_endpoint: 'http://127.0.0.1:9/v1' },
    });
    expect(made.status).to.equal(201);
    const { id } = (await made.json()) as { id: string };
    const got = await t.api(`/api/v1/llm-providers/${id}`);
    expect(got.status).to.equal(200);
    expect(await got.json()).to.include({ id, name: 'by-id' });
    const patched = await t.api(`/api/v1/llm-providers/${id}`, {
      method: 'PATCH',
      json: { default_model: 'by-id-model' },
    });
    expect(patched.status).to.equal(200);
    expect(await (await t.api('/api/v1/llm-providers/by-id')).json()).to.include({
      default_model: 'by-id-model',
    });
    expect((await t.api(`/api/v1/llm-providers/${id}/versions`)).status).to.equal(200);
    // an id no provider has is read as a name: none has it either
    const unknown = await t.api(`/api/v1/llm-providers/${randomUUID()}`);
    expect(unknown.status).to.equal(404);
    expect((await t.api(`/api/v1/llm-providers/${id}`, { method: 'DELETE' })).status).to.equal(204);
    expect((await t.api('/api/v1/llm-providers/by-id')).status).to.equal(404);
    expect((await t.api(`/api/v1/llm-providers/${id}`)).status).to.equal(404);
  });

  it('is refused to a non-admin key', async () => {
    const key = `sk-user-${randomUUID()}`;
    await t.platform.services.pool.query(
      `INSERT INTO api_keys (id, name, prefix, key_hash, user_id) VALUES ($1, 'user', $2, $3, $4)`,
      [randomUUID(), key.slice(0, 12), createHash('sha256').update(key).digest('hex'), randomUUID()],
    );
    const r = await t.api('/api/v1/llm-providers', { headers: { 'x-api-key': key } });
    expect(r.status).to.equal(403);
    expect((await t.api('/api/v1/agents', { headers: { 'x-api-key': key } })).status).to.equal(200);
  });
});

describe('the default LLM provider, as turns use it', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  let one: ScriptedLlm;
  let two: ScriptedLlm;
  before(async () => {
    [one, two] = await Promise.all([startScriptedLlm(), startScriptedLlm()]);
    t = await startTestPlatform();
  });
  after(async () => {
    await t?.stop();
    await one?.stop();
    await two?.stop();
  });

  const must = async (res: Promise<Response>, status: number) => {
    const r = await res;
    expect(r.status, await r.clone().text()).to.equal(status);
  };
  /**
   * Waits until the read model turns read shows the change: a write answers once it does, unless
   * the machine is too busy for the bounded wait (then it says `Sinas-Consistency: pending`).
   */
  const shown = (name: string, fields: Record<string, unknown> | null) =>
    until(`the providers as changed (${name})`, async () => {
      const all = (await (await t.api('/api/v1/llm-providers')).json()) as Record<string, unknown>[];
      const p = all.find((x) => x.name === name);
      if (fields === null) return p === undefined;
      const others = all.filter((x) => x !== p);
      return (
        !!p &&
        Object.entries(fields).every(([k, v]) => p[k] === v) &&
        (fields.is_default !== true || others.every((x) => x.is_default === false))
      );
    });
  const provider = async (name: string, json: Record<string, unknown>) => {
    await must(t.api('/api/v1/llm-providers', { method: 'POST', json: { name, ...json } }), 201);
    await shown(name, json);
  };
  const change = async (name: string, json: Record<string, unknown>) => {
    await must(t.api(`/api/v1/llm-providers/${name}`, { method: 'PATCH', json }), 200);
    await shown(name, json);
  };
  const remove = async (name: string) => {
    await must(t.api(`/api/v1/llm-providers/${name}`, { method: 'DELETE' }), 204);
    await shown(name, null);
  };
  /** sends a message; which server got the request (and with which model), and the reply's model */
  const turn = async (chat: string, content: string) => {
    const before = [one.requests.length, two.requests.length];
    const res = await t.api(`/chats/${chat}/messages`, { method: 'POST', json: { content } });
    expect(res.status).to.equal(200);
    const reply = await res.json();
    const to = [one, two].flatMap((llm, i) =>
      llm.requests.slice(before[i]).map((r) => `${i === 0 ? 'one' : 'two'}:${String(r.model)}`),
    );
    return { to, model: reply.model as string };
  };

  it('the next turn after the default is moved, changed or deleted uses the new default', async () => {
    await provider('first', { api_endpoint: one.url, default_model: 'model-1', is_default: true });
    await must(t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'dp', name: 'bot' } }), 201);
    const chat = (await (await t.api('/agents/dp/bot/chats', { method: 'POST', json: {} })).json())
      .id as string;
    expect(await turn(chat, 'a')).to.deep.equal({ to: ['one:model-1'], model: 'model-1' });
    expect(await turn(chat, 'b')).to.deep.equal({ to: ['one:model-1'], model: 'model-1' });

    await provider('second', { api_endpoint: two.url, default_model: 'model-2', is_default: true });
    expect(await turn(chat, 'c'), 'a new default').to.deep.equal({ to: ['two:model-2'], model: 'model-2' });

    await change('second', { default_model: 'model-2b' });
    expect(await turn(chat, 'd'), 'its model changed').to.deep.equal({
      to: ['two:model-2b'],
      model: 'model-2b',
    });

    await change('second', { api_endpoint: one.url });
    expect(await turn(chat, 'e'), 'its endpoint changed').to.deep.equal({
      to: ['one:model-2b'],
      model: 'model-2b',
    });

    await change('first', { is_default: true });
    expect(await turn(chat, 'f'), 'the default moved back').to.deep.equal({
      to: ['one:model-1'],
      model: 'model-1',
    });

    await remove('second');
    await remove('first');
    expect(await turn(chat, 'g'), 'no provider left').to.deep.equal({ to: [], model: DEV_MODEL });
  });
});
