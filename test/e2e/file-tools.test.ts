/**
 * The five file tools in real chats with the development model (reference §4.1, §5.8): write,
 * edit with the exact-once rule, get with numbered lines, search and delete, status texts per
 * §4.2, a read-only collection offering no write tools, and the chat user's permissions checked
 * at each call.
 */
import { expect } from 'chai';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { streams } from '../../src/events/stream-names.js';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';

describe('file tools in chats (reference §4.1, §5.8)', function () {
  this.timeout(120_000);
  let t: TestPlatform;

  const chatWith = async (agent: string, headers: Record<string, string> = {}) => {
    const r = await t.api(`/agents/${agent}/chats`, { method: 'POST', json: {}, headers });
    expect(r.status, await r.clone().text()).to.equal(200);
    return (await r.json()).id as string;
  };
  /** posts `content`, and returns the results of the tool calls that message caused */
  const say = async (chatId: string, content: string, headers: Record<string, string> = {}) => {
    const before = (await t.platform.services.eventStore.readStream(streams.chat(chatId))).length;
    const r = await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content }, headers });
    expect(r.status, await r.clone().text()).to.equal(200);
    const events = (await t.platform.services.eventStore.readStream(streams.chat(chatId))).slice(before);
    return { events, results: completed(events) };
  };
  const completed = (events: RecordedEvent[]) =>
    events
      .filter((e) => e.type === 'ToolCallCompleted')
      .map((e) => {
        const d = e.data as { status: string; result: string; name: string };
        return { name: d.name, status: d.status, result: JSON.parse(d.result) as Record<string, unknown> };
      });

  before(async () => {
    t = await startTestPlatform();
    const post = (path: string, json: unknown) => t.api(path, { method: 'POST', json });
    expect((await post('/api/v1/collections', { namespace: 'kb', name: 'notes' })).status).to.equal(201);
    const rw = { enabled_collections: [{ collection: 'kb/notes', access: 'readwrite' }] };
    const ro = { enabled_collections: [{ collection: 'kb/notes', access: 'readonly' }] };
    expect((await post('/api/v1/agents', { namespace: 'kb', name: 'writer', ...rw })).status).to.equal(201);
    expect((await post('/api/v1/agents', { namespace: 'kb', name: 'reader', ...ro })).status).to.equal(201);
  });
  after(async () => t?.stop());

  it('writes, edits exactly once, reads with line numbers, searches and deletes through the model', async () => {
    const chat = await chatWith('kb/writer');
    const wrote = await say(chat, 'call write_file_kb_notes {"filename": "todo.md", "content": "a\\nb\\na"}');
    expect(wrote.results).to.deep.equal([
      {
        name: 'write_file_kb_notes',
        status: 'ok',
        result: { filename: 'todo.md', version: 1, size_bytes: 5, created: true },
      },
    ]);
    // the §4.2 fallback status text, recorded with the call
    expect(JSON.stringify(wrote.events.map((e) => e.data))).to.include('"description":"Writing file"');

    const twice = await say(
      chat,
      'call edit_file_kb_notes {"filename": "todo.md", "old_string": "a", "new_string": "c"}',
    );
    expect(twice.results[0]!.status).to.equal('error');
    expect(String(twice.results[0]!.result.error)).to.include('occurs 2 times');

    const once = await say(
      chat,
      'call edit_file_kb_notes {"filename": "todo.md", "old_string": "b", "new_string": "B"}',
    );
    expect(once.results[0]!.result).to.deep.equal({
      filename: 'todo.md',
      version: 2,
      size_bytes: 5,
      created: false,
    });

    const got = await say(chat, 'call get_file_kb_notes {"filename": "todo.md"}');
    expect(got.results[0]!.result).to.deep.include({
      filename: 'todo.md',
      content_type: 'text/markdown',
      version: 2,
      content: '     1\ta\n     2\tB\n     3\ta',
      total_lines: 3,
    });
    const slice = await say(chat, 'call get_file_kb_notes {"filename": "todo.md", "offset": 2, "limit": 1}');
    expect(slice.results[0]!.result).to.deep.include({ content: '     2\tB', line_range: [2, 2] });

    const found = await say(chat, 'call search_collection_kb_notes {"query": "todo"}');
    expect(found.results[0]!.result).to.deep.include({ count: 1 });
    const byText = await say(chat, 'call search_collection_kb_notes {"query": "^B$"}');
    expect(byText.results[0]!.result).to.deep.include({ count: 1 });

    const deleted = await say(chat, 'call delete_file_kb_notes {"filename": "todo.md"}');
    expect(deleted.results[0]!.result).to.deep.equal({ filename: 'todo.md', deleted: true });
    const gone = await say(chat, 'call get_file_kb_notes {"filename": "todo.md"}');
    expect(gone.results[0]!.status).to.equal('error');
  });

  it('offers a read-only collection without its write tools', async () => {
    const chat = await chatWith('kb/reader');
    const r = await say(chat, 'call write_file_kb_notes {"filename": "x.md", "content": "x"}');
    expect(r.results).to.deep.equal([]); // not offered: the model cannot call it
    const s = await say(chat, 'call search_collection_kb_notes {}');
    expect(s.results[0]).to.deep.include({ status: 'ok' });
  });

  it("refuses a call the chat's user may not make", async () => {
    // Users may chat with agents but get no upload right on this collection when it is revoked
    const key = { 'x-api-key': await userKey(t, 'files-tools-carol', []) };
    expect(
      (
        await t.api('/api/v1/roles', {
          method: 'POST',
          json: {
            name: 'ChatOnly',
            permissions: {
              'sinas.agents/*/*.chat:all': true,
              'sinas.agents/*/*.read:all': true,
              'sinas.chats.read:own': true,
              'sinas.chats.create:own': true,
            },
          },
        })
      ).status,
    ).to.equal(201);
    const carol = (await (await t.api('/api/v1/users?search=files-tools-carol')).json())[0].id as string;
    expect(
      (await t.api('/api/v1/roles/ChatOnly/members', { method: 'POST', json: { user_id: carol } })).status,
    ).to.equal(201);
    const chat = await chatWith('kb/writer', key);
    const r = await say(chat, 'call write_file_kb_notes {"filename": "c.md", "content": "c"}', key);
    expect(r.results[0]!.status).to.equal('forbidden');
  });
});
