import { expect } from 'chai';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

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

  it('refuses a non-positive expires_in', async () => {
    const r = await t.api('/agents/eph/bot/chats', { method: 'POST', json: { expires_in: 0 } });
    expect(r.status).to.equal(400);
    expect((await r.json()).field).to.equal('expires_in');
  });
});
