/**
 * Projections over history: after a long scripted workload (chats with tool calls, approvals and a
 * paused function, executions, users, roles, secrets, states, API keys, config resources), rebuilding each
 * projection from position 0 yields exactly the rows the live projection had.
 */
import { expect } from 'chai';
import { platformProjections } from '../../src/runtime/kinds.js';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { settleProjections } from '../../src/projections/settle.js';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { snapshot } from '../support/rebuild-check.js';

const ECHO = 'def handler(input_data, context):\n    return {"echo": input_data}\n';
const ASK = 'def handler(input_data, context):\n    return {"name": input("who?")}\n';

describe('rebuilding every projection after a long workload gives the same rows', function () {
  this.timeout(600_000);
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform();
  });
  after(async () => t?.stop());

  it('rebuilds each projection to identical rows', async () => {
    const fn = (name: string, code: string, extra: object = {}) =>
      t.api('/api/v1/functions', {
        method: 'POST',
        json: { namespace: 'wl', name, code, input_schema: { type: 'object' }, ...extra },
      });
    expect((await fn('echo', ECHO)).status).to.equal(201);
    expect((await fn('guarded', ECHO, { requires_approval: true })).status).to.equal(201);
    expect((await fn('ask', ASK)).status).to.equal(201);
    await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'wl', name: 'bot', enabled_functions: ['wl/echo', 'wl/guarded', 'wl/ask'] },
    });
    await t.api('/api/v1/roles', {
      method: 'POST',
      json: {
        name: 'Workload',
        permissions: { 'sinas.logs.read:own': true, 'sinas.functions/wl/*.execute:all': true },
      },
    });
    const user = { 'x-api-key': await userKey(t, 'workload', ['Users', 'Workload']) };
    await t.api('/api/v1/secrets', {
      method: 'POST',
      headers: user,
      json: { name: 'WL_SECRET', value: 'v1', visibility: 'private' },
    });
    await t.api('/api/v1/secrets/WL_SECRET', { method: 'PUT', headers: user, json: { value: 'v2' } });
    await t.api('/api/v1/stores', {
      method: 'POST',
      json: { namespace: 'wl', name: 'mem', encrypted: true },
    });
    for (const key of ['a', 'b', 'c'])
      await t.api('/stores/wl/mem/states', {
        method: 'POST',
        headers: user,
        json: { key, value: key, tags: [key] },
      });
    await t.api('/stores/wl/mem/states/a', { method: 'PUT', headers: user, json: { relevance_score: 0.5 } });
    await t.api('/stores/wl/mem/states/b', { method: 'DELETE', headers: user });
    await t.api('/api/v1/api-keys', { method: 'POST', headers: user, json: { name: 'wl' } });

    for (let i = 0; i < 30; i++) {
      const chat = await (
        await t.api('/agents/wl/bot/chats', { method: 'POST', headers: user, json: { title: `c${i}` } })
      ).json();
      const send = (content: string) =>
        t.api(`/chats/${chat.id}/messages`, { method: 'POST', headers: user, json: { content } });
      expect((await send(`hello ${i}`)).status).to.equal(200);
      expect((await send(`call wl/echo {"n": ${i}}`)).status).to.equal(200);
      if (i % 3 === 0) {
        const r = await (await send(`call wl/guarded {"n": ${i}} and call wl/ask`)).json();
        expect(r.status).to.equal('awaiting_approval');
        const id = r.pending_approvals[0].tool_call_id;
        await t.api(`/chats/${chat.id}/approve-tool/${id}`, {
          method: 'POST',
          headers: user,
          json: { approved: i % 2 === 0, reason: `decision ${i}` },
        });
        for (let k = 0; k < 400; k++) {
          const c = await (await t.api(`/chats/${chat.id}`, { headers: user })).json();
          if (c.turns.at(-1).status === 'completed') break;
          await new Promise((r) => setTimeout(r, 25));
        }
        expect((await send('answer "Ada"')).status).to.equal(200);
      }
      if (i % 4 === 0)
        await t.api(`/chats/${chat.id}`, {
          method: 'PUT',
          headers: user,
          json: { title: `renamed ${i}`, archived: true },
        });
    }
    const paused = await (
      await t.api('/functions/wl/ask/execute', { method: 'POST', headers: user, json: {} })
    ).json();
    await t.api(`/executions/${paused.execution_id}/cancel`, { method: 'POST', headers: user });
    await t.api('/api/v1/agents/wl/bot', { method: 'PUT', json: { description: 'after the workload' } });

    const pool = t.platform.services.pool;
    const store = t.platform.services.eventStore;
    // then bulk: many short conversations at once until the log holds at least 10,000 events
    const count = async () =>
      Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM es_events')).rows[0]!.n);
    const lanes = Array.from({ length: 12 }, async (_, lane) => {
      const chat = await (
        await t.api('/agents/wl/bot/chats', { method: 'POST', headers: user, json: {} })
      ).json();
      for (let m = 0; (await count()) < 10_000; m++) {
        const r = await t.api(`/chats/${chat.id}/messages`, {
          method: 'POST',
          headers: user,
          json: { content: `lane ${lane} message ${m}` },
        });
        expect(r.status).to.equal(200);
      }
    });
    await Promise.all(lanes);
    const events = (await store.readAll({ maxCount: 1_000_000 })).length;
    expect(events).to.be.at.least(10_000);
    const projections = platformProjections().filter((p) => p.tables.length > 0);
    const settled = await settleProjections(pool, store, t.platform.services.waiter, projections, 30_000);
    expect(settled, 'the live projections caught up').to.equal(true);
    for (const p of projections) {
      const before = await snapshot(pool, p.tables);
      await rebuildProjection(pool, store, p);
      const after = await snapshot(pool, p.tables);
      for (const table of p.tables) expect(after[table], `${p.name}: ${table}`).to.deep.equal(before[table]);
    }
  });
});
