/**
 * Two processes on one turn (a duplicate job, or an approval's wake-up picked up elsewhere) while an
 * inline call runs: the second finds the call started but its runner alive, so it waits for the
 * call's lease instead of answering it as interrupted; the call runs once and its own result stands.
 */
import { expect } from 'chai';
import pg from 'pg';
import { pino } from 'pino';
import { streams } from '../../src/events/stream-names.js';
import { PgCallLeases } from '../../src/runtime/turns/call-leases.js';
import { INTERRUPTED } from '../../src/runtime/turns/family-tools.js';
import { asChatId, asTurnId } from '../../src/commands/ids.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { anotherTurnWorker, startTestPlatform, useProvider, type TestPlatform } from '../support/platform.js';
import { Gate, TestFamily } from '../support/test-family.js';
import { until } from '../support/until.js';

describe('inline tool calls: a live runner is never taken for crashed by another process', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let pool: pg.Pool;
  let leases: PgCallLeases;
  const gate = new Gate();
  const family = new TestFamily([
    {
      name: 'test_effect',
      rerunnable: false,
      run: async (call) => {
        await gate.wait(call.signal);
        return { status: 'ok', result: 'ran once' };
      },
    },
  ]);

  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform({}, { families: [family] });
    await useProvider(t, llm.url);
    const agent = await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'lease', name: 'bot' },
    });
    expect(agent.status).to.equal(201);
    pool = new pg.Pool({ connectionString: t.db.url, max: 2 });
    leases = new PgCallLeases(t.db.url, pool, pino({ level: 'silent' }));
  });
  after(async () => {
    await leases?.close();
    await pool?.end();
    await t?.stop();
    await llm?.stop();
  });

  it("waits for the running call's lease, then leaves its result alone", async () => {
    llm.script([
      { toolCalls: [{ id: 'call_x', name: 'test_effect', arguments: {} }] },
      { text: 'done' },
      { text: 'done' },
    ]);
    const chat = await (await t.api('/agents/lease/bot/chats', { method: 'POST', json: {} })).json();
    const reply = t.api(`/chats/${chat.id}/messages`, { method: 'POST', json: { content: 'go' } });
    await until('the call to run in the platform', () => family.running.size === 1);
    // the call runs on the chat's stream; the chats read model shows its turn a moment later
    let turnId = '';
    await until('the turn in the chats read model', async () => {
      turnId = (await (await t.api(`/chats/${chat.id}`)).json()).turns[0]?.turn_id ?? '';
      return turnId !== '';
    });

    // another process's job of the same turn, with leases of its own
    const second = anotherTurnWorker(t, { leases }).run(asChatId(chat.id), asTurnId(turnId));
    await until('the second job to wait for the lease', async () => {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`,
      );
      return rows[0].n === 1;
    });
    gate.open();
    await second;
    expect((await reply).status).to.equal(200);

    expect(family.callsOf('test_effect')).to.have.length(1);
    const completed = (await t.platform.services.eventStore.readStream(streams.chat(chat.id))).filter(
      (e) => e.type === 'ToolCallCompleted',
    );
    expect(completed).to.have.length(1);
    expect(completed[0]!.data).to.include({ status: 'ok', result: 'ran once' });
    expect(JSON.stringify(completed[0]!.data)).to.not.contain(INTERRUPTED);
  });
});
