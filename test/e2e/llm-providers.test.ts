import { expect } from 'chai';
import { createHash, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { EventStore } from '../../src/events/event-store.js';
import { TOKENS } from '../../src/runtime/container.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

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
    const events = await t.platform
      .get<EventStore>(TOKENS.EventStore)
      .readAll({ filter: { categories: ['llmprovider'] } });
    expect(events).to.have.length(1);
    expect(JSON.stringify(events.map((e) => e.data))).not.to.contain(SECRET);
    const rows = await t.platform.get<pg.Pool>(TOKENS.Pool).query('SELECT spec FROM llm_providers');
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

  it('is refused to a non-admin key', async () => {
    const key = `sk-user-${randomUUID()}`;
    await t.platform
      .get<pg.Pool>(TOKENS.Pool)
      .query(`INSERT INTO api_keys (id, name, prefix, key_hash, user_id) VALUES ($1, 'user', $2, $3, $4)`, [
        randomUUID(),
        key.slice(0, 12),
        createHash('sha256').update(key).digest('hex'),
        randomUUID(),
      ]);
    const r = await t.api('/api/v1/llm-providers', { headers: { 'x-api-key': key } });
    expect(r.status).to.equal(403);
    expect((await t.api('/api/v1/agents', { headers: { 'x-api-key': key } })).status).to.equal(200);
  });
});
