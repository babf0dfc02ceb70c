/**
 * The composition kinds in one chat (issue 15, "done when"), all through the development model: an
 * agent that preloads a skill saves and retrieves state, then writes and edits a file and reads it
 * back, and delegates to a sub-agent that reads that file. Every step shows in `GET /chats/{id}`,
 * in the timelines and audit exports of the chat and of its sub-chat (linked from the parent's
 * call), and every read model equals its rebuild from the events.
 */
import { expect } from 'chai';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { settleProjections } from '../../src/projections/settle.js';
import { platformProjections } from '../../src/runtime/kinds.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { snapshot } from '../support/rebuild-check.js';
import { callText } from '../support/subagent-calls.js';

describe('composition: skill, state, files and a sub-agent in one chat', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  const must = async (path: string, json: unknown, status = 201) => {
    const r = await t.api(path, { method: 'POST', json });
    const text = await r.text();
    if (r.status !== status) throw new Error(`${path} gave ${r.status}: ${text}`);
    return JSON.parse(text);
  };

  before(async () => {
    t = await startTestPlatform();
    await must('/api/v1/skills', {
      namespace: 'demo',
      name: 'style',
      description: 'house style',
      content: 'Always be brief.',
    });
    await must('/api/v1/stores', { namespace: 'demo', name: 'notes' });
    await must('/api/v1/collections', { namespace: 'demo', name: 'docs' });
    await must('/api/v1/agents', {
      namespace: 'demo',
      name: 'reader',
      enabled_collections: [{ collection: 'demo/docs', access: 'readonly' }],
    });
    await must('/api/v1/agents', {
      namespace: 'demo',
      name: 'main',
      enabled_agents: ['demo/reader'],
      enabled_skills: [{ skill: 'demo/style', preload: true }],
      enabled_stores: [{ store: 'demo/notes', access: 'readwrite' }],
      enabled_collections: [{ collection: 'demo/docs', access: 'readwrite' }],
    });
  });
  after(async () => t?.stop());

  it('shows every step in the chat, its timeline and export, and rebuilds to the same rows', async () => {
    const chat = await must('/agents/demo/main/chats', {}, 200);
    const say = async (content: string) =>
      (await must(`/chats/${chat.id}/messages`, { content }, 200)).content;
    expect(await say('call save_state {"store": "demo/notes", "key": "topic", "value": "gamma"}')).to.contain(
      'Tool save_state returned',
    );
    expect(await say('call retrieve_state {"store": "demo/notes", "key": "topic"}')).to.contain('gamma');
    await say('call write_file_demo_docs {"filename": "notes.txt", "content": "alpha beta"}');
    expect(
      await say(
        'call edit_file_demo_docs {"filename": "notes.txt", "old_string": "beta", "new_string": "gamma"}',
      ),
    ).to.contain('Tool edit_file_demo_docs returned');
    expect(await say('call get_file_demo_docs {"filename": "notes.txt"}')).to.contain('alpha gamma');
    const delegated = await say(
      callText('call_agent_demo__reader', 'call get_file_demo_docs {"filename": "notes.txt"}'),
    );
    expect(delegated).to.contain('Tool call_agent_demo__reader returned').and.contain('alpha gamma');

    const view = await (await t.api(`/chats/${chat.id}`)).json();
    const calls = view.tool_calls as { name: string; status: string }[];
    expect(calls.map((c) => c.name)).to.include.members([
      'save_state',
      'retrieve_state',
      'write_file_demo_docs',
      'edit_file_demo_docs',
      'get_file_demo_docs',
      'call_agent_demo__reader',
    ]);
    for (const c of calls) expect(c.status, c.name).to.equal('ok');

    const timeline = await (await t.api(`/chats/${chat.id}/timeline`)).text();
    for (const c of calls) expect(timeline).to.contain(c.name);
    const exported = await t.api(`/api/v1/audit/export?stream=chat-${chat.id}`);
    expect(exported.status).to.equal(200);
    const parentExport = await exported.text();
    expect(parentExport).to.contain('ToolCallCompleted');
    // the tree: the parent's call names its sub-chat, whose own timeline and export show the read
    const started = (await t.platform.services.eventStore.readStream(`chat-${chat.id}`)).find(
      (e) => e.type === 'ToolCallStarted' && (e.data as { subChatId?: string }).subChatId,
    );
    const sub = (started!.data as { subChatId: string }).subChatId;
    expect(parentExport).to.contain(sub);
    const subView = await (await t.api(`/chats/${sub}`)).json();
    expect(subView.tool_calls.map((c: { name: string }) => c.name)).to.deep.equal(['get_file_demo_docs']);
    expect(await (await t.api(`/chats/${sub}/timeline`)).text()).to.contain('get_file_demo_docs');
    const subExport = await t.api(`/api/v1/audit/export?stream=chat-${sub}`);
    expect(subExport.status).to.equal(200);
    const subText = await subExport.text();
    expect(subText).to.contain(chat.id).and.contain('get_file_demo_docs').and.contain('alpha gamma');

    const { pool, eventStore, waiter } = t.platform.services;
    const projections = platformProjections().filter((p) => p.tables.length > 0);
    expect(await settleProjections(pool, eventStore, waiter, projections, 30_000)).to.equal(true);
    for (const p of projections) {
      const before = await snapshot(pool, p.tables);
      await rebuildProjection(pool, eventStore, p);
      const after = await snapshot(pool, p.tables);
      for (const table of p.tables) expect(after[table], `${p.name}: ${table}`).to.deep.equal(before[table]);
    }
  });
});
