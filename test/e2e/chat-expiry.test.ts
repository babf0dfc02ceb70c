import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';

describe('ephemeral chats', function () {
  this.timeout(30_000);
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform();
    await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'eph', name: 'bot' } });
  });
  after(async () => t && (await t.stop()));

  it('hard-deletes an expired chat and leaves only a content-free audit record', async () => {
    const chat = await (
      await t.api('/agents/eph/bot/chats', { method: 'POST', json: { expires_in: 1, title: 'secret title' } })
    ).json();
    expect(chat.expires_at).to.be.a('string');
    await t.api(`/chats/${chat.id}/messages`, {
      method: 'POST',
      json: { content: 'a very private message' },
    });
    const store = t.platform.services.eventStore;
    const pool = t.platform.services.pool;
    for (let i = 0; (await t.api(`/chats/${chat.id}`)).status !== 404; i++) {
      if (i > 200) throw new Error('the chat was not purged');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await store.readStream(`chat-${chat.id}`)).to.deep.equal([]);
    const audit = (await store.readStream('audit-chats')).filter(
      (e) => (e.data as { chatId: string }).chatId === chat.id,
    );
    expect(audit.map((e) => e.type)).to.deep.equal(['ChatPurged']);
    expect(audit[0]!.data).to.include({ chatId: chat.id, reason: 'expired', events: 4 });
    const everything = JSON.stringify((await store.readAll({})).map((e) => e.data));
    expect(everything).not.to.contain('a very private message');
    expect(everything).not.to.contain('secret title');
    for (const table of ['chats', 'chat_messages', 'chat_turns']) {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM ${table} WHERE ${table === 'chats' ? 'id' : 'chat_id'} = $1`,
        [chat.id],
      );
      expect(rows[0].n, table).to.equal(0);
    }
  });

  it("deletes the purged chat's part blobs; another chat sent the same bytes still serves its part", async () => {
    const { eventStore: store, messageParts } = t.platform.services;
    const png = randomBytes(300);
    const content = [
      { type: 'text', text: 'look' },
      { type: 'image', image: `data:image/png;base64,${png.toString('base64')}` },
    ];
    const chatOf = async (json: object) =>
      (await (await t.api('/agents/eph/bot/chats', { method: 'POST', json })).json()).id as string;
    const [gone, kept] = [await chatOf({ expires_in: 2 }), await chatOf({})];
    for (const id of [gone, kept])
      expect((await t.api(`/chats/${id}/messages`, { method: 'POST', json: { content } })).status).to.equal(
        200,
      );
    const keyOf = async (id: string) => {
      const posted = (await store.readStream(`chat-${id}`)).find((e) => e.type === 'UserMessagePosted')!;
      const parts = posted.data.parts as { source: { key: string } }[];
      return parts[1]!.source.key;
    };
    const [goneKey, keptKey] = [await keyOf(gone), await keyOf(kept)];
    const bytes = async (key: string) => {
      const chunks: Buffer[] = [];
      for await (const c of messageParts.blobs.get(key)) chunks.push(c);
      return Buffer.concat(chunks);
    };
    expect((await bytes(goneKey)).equals(png)).to.equal(true);
    await until('the chat purged', async () => (await t.api(`/chats/${gone}`)).status === 404);
    expect((await bytes(goneKey)).length).to.equal(0);
    expect((await bytes(keptKey)).equals(png)).to.equal(true);
    const chat = await (await t.api(`/chats/${kept}`)).json();
    const user = chat.messages.find((m: { role: string }) => m.role === 'user');
    const views = JSON.parse(user.content as string) as { content_url?: string }[];
    const served = await t.api(views[1]!.content_url!);
    expect(served.status).to.equal(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(png)).to.equal(true);
  });

  it('refuses a non-positive expires_in', async () => {
    const r = await t.api('/agents/eph/bot/chats', { method: 'POST', json: { expires_in: 0 } });
    expect(r.status).to.equal(400);
    expect((await r.json()).field).to.equal('expires_in');
  });
});
