/**
 * Sub-agents in real turns with the development model (reference §4.1, §8 item 2): a tree of three
 * levels with parallel calls, each sub-chat linked from its parent's events; resume with
 * `_chat_id`; cycle and depth refusals; an agent never offered itself; a permission refusal; a
 * cancel from the top reaching the sub-turns; a sub-chat deleted, or its turn cancelled by its owner,
 * while the parent waits (the parent goes on); and parents that wait without a worker slot
 * (SINAS_TURN_CONCURRENCY=2: twenty parents waiting on slow sub-agents all finish).
 */
import { expect } from 'chai';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { streams } from '../../src/events/stream-names.js';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { Gate, TestFamily } from '../support/test-family.js';
import { until } from '../support/until.js';
import { callText } from '../support/subagent-calls.js';
import { subTurnWake, sweepOpenTurns, TURN_QUEUE, turnJobId } from '../../src/runtime/turns/turn-jobs.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- event data, read loosely in assertions
type Loose = Record<string, any>;

describe('sub-agents', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  const slowGate = new Gate();
  const cancelGate = new Gate();
  /** never opened while a test waits: a sub-turn parked on it ends only by a cancel or a delete */
  const parkGate = new Gate();
  const family = new TestFamily([
    {
      name: 'test_slow',
      run: async (call) => {
        await slowGate.wait(call.signal);
        return { status: 'ok', result: 'slow done' };
      },
    },
    {
      name: 'test_park',
      run: async (call) => {
        await parkGate.wait(call.signal);
        return { status: 'ok', result: 'unparked' };
      },
    },
    {
      name: 'test_hold',
      run: async (call) => {
        await cancelGate.wait(call.signal);
        return { status: 'ok', result: 'released' };
      },
    },
  ]);
  const events = (chatId: string): Promise<RecordedEvent[]> =>
    t.platform.services.eventStore.readStream(streams.chat(chatId));
  const agent = async (name: string, fields: Record<string, unknown> = {}) => {
    const r = await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 't', name, ...fields } });
    expect(r.status, `agent ${name}: ${await r.clone().text()}`).to.equal(201);
  };
  const newChat = async (name: string, key?: string) => {
    const r = await t.api(`/agents/t/${name}/chats`, {
      method: 'POST',
      json: {},
      ...(key ? { headers: { 'x-api-key': key } } : {}),
    });
    expect(r.status).to.equal(200);
    return (await r.json()).id as string;
  };
  const post = async (chatId: string, content: string, key?: string) => {
    const r = await t.api(`/chats/${chatId}/messages`, {
      method: 'POST',
      json: { content },
      ...(key ? { headers: { 'x-api-key': key } } : {}),
    });
    expect(r.status, await r.clone().text()).to.be.oneOf([200, 201, 202]);
  };
  /** posts and reads the answer whatever it is (a cancelled turn's) */
  const send = (chatId: string, content: string) =>
    t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content } }).then((r) => r.text());
  /** the data of every event of `type` in the chat */
  const ofType = async (chatId: string, type: string) =>
    (await events(chatId)).filter((e) => e.type === type).map((e) => e.data as Loose);
  const turnEnded = (chatId: string, n = 1, timeoutMs?: number) =>
    until(
      `turn ${n} of ${chatId} to end`,
      async () => {
        const ended = (await events(chatId)).filter(
          (e) =>
            e.type === 'TurnFailed' ||
            e.type === 'TurnCancelled' ||
            (e.type === 'AssistantMessageCompleted' && (e.data as { endsTurn?: boolean }).endsTurn !== false),
        );
        return ended.length >= n;
      },
      timeoutMs,
    );
  const results = async (chatId: string): Promise<Loose[]> =>
    (await ofType(chatId, 'ToolCallCompleted')).map((d) => ({
      ...d,
      parsed: JSON.parse(d.result as string),
    }));

  before(async () => {
    t = await startTestPlatform(
      { SINAS_TURN_CONCURRENCY: '2', SINAS_SUBAGENT_MAX_DEPTH: '3' },
      { families: [family] },
    );
    await agent('e', { enabled_agents: ['t/f'] });
    await agent('f');
    await agent('d', { enabled_agents: ['t/e'] });
    await agent('c', { description: 'answers about c' });
    await agent('b', { enabled_agents: ['t/d'] });
    await agent('a', { enabled_agents: ['t/b', 't/c'] });
    await agent('x', { enabled_agents: ['t/y'] });
    await agent('y', { enabled_agents: ['t/x'] });
    await agent('all', { enabled_agents: ['t/*'] });
    await agent('slow');
    await agent('boss', { enabled_agents: ['t/slow'] });
  });
  after(async () => {
    slowGate.open();
    cancelGate.open();
    parkGate.open();
    await t?.stop();
  });

  it('runs a tree of three levels with parallel calls; each reply is its parent tool result, linked to its sub-chat', async () => {
    const chatId = await newChat('a');
    const deep = callText('call_agent_t__d', 'deepest');
    await post(chatId, `${callText('call_agent_t__b', deep)} and ${callText('call_agent_t__c', 'hello c')}`);
    await turnEnded(chatId);
    const done = await results(chatId);
    expect(done.map((d) => d.status)).to.deep.equal(['ok', 'ok']);
    const byAgent = Object.fromEntries(done.map((d) => [d.parsed.agent_name, d]));
    expect(byAgent.c!.parsed.response).to.equal('[sinas-dev-model] Echo: hello c');
    expect(byAgent.b!.parsed.response).to.contain('call_agent_t__d returned').and.contain('Echo: deepest');
    // each result names its sub-chat, as do the start events: the timeline links parent to child
    const started = await ofType(chatId, 'ToolCallStarted');
    for (const d of done) {
      expect(d.subChatId).to.equal(d.parsed.chat_id);
      expect(started.find((s) => s.toolCallId === d.toolCallId)!.subChatId).to.equal(d.subChatId);
    }
    const subB = byAgent.b!.subChatId as string;
    const created = (await ofType(subB, 'ChatCreated'))[0]!;
    expect(created.title).to.equal('Sub-chat: b');
    expect(created.parent).to.deep.equal({ chatId, path: ['t/a'] });
    const grand = (await results(subB))[0]!;
    expect(grand.parsed.agent_name).to.equal('d');
    expect((await ofType(grand.subChatId, 'ChatCreated'))[0]!.parent.path).to.deep.equal(['t/a', 't/b']);
    // the parent's and the sub-chat's own read model both show the turn done
    const body = await (await t.api(`/chats/${subB}`)).json();
    expect(body.turns[0].status).to.equal('completed');
  });

  it('resumes a sub-chat with _chat_id; refuses a chat that is not one of its sub-chats', async () => {
    const chatId = await newChat('a');
    await post(chatId, callText('call_agent_t__c', 'first'));
    await turnEnded(chatId);
    const sub = (await results(chatId))[0]!.parsed.chat_id as string;
    await post(chatId, callText('call_agent_t__c', 'second', { _chat_id: sub }));
    await turnEnded(chatId, 2);
    const second = (await results(chatId))[1]!;
    expect(second.status).to.equal('ok');
    expect(second.parsed).to.deep.equal({
      agent_name: 'c',
      chat_id: sub,
      response: '[sinas-dev-model] Echo: second',
    });
    expect(await ofType(sub, 'UserMessagePosted')).to.have.length(2);
    const other = await newChat('c');
    await post(chatId, callText('call_agent_t__c', 'third', { _chat_id: other }));
    await turnEnded(chatId, 3);
    const third = (await results(chatId))[2]!;
    expect(third.status).to.equal('error');
    expect(third.parsed.error).to.contain('_chat_id: not a sub-chat of this chat');
  });

  it('refuses a cycle, naming the agent already on the path', async () => {
    const chatId = await newChat('x');
    await post(chatId, callText('call_agent_t__y', callText('call_agent_t__x', 'loop')));
    await turnEnded(chatId);
    const [yCall] = await results(chatId);
    expect(yCall!.status).to.equal('ok');
    const [xCall] = await results(yCall!.subChatId);
    expect(xCall!.status).to.equal('error');
    expect(xCall!.parsed.error).to.contain("agent 't/x' is already on the call path (t/x → t/y → t/x)");
    expect(xCall!.subChatId).to.equal(undefined); // nothing was started
  });

  it('refuses a call below the depth limit (SINAS_SUBAGENT_MAX_DEPTH=3)', async () => {
    const chatId = await newChat('a');
    const f = callText('call_agent_t__f', 'too deep');
    await post(
      chatId,
      callText('call_agent_t__b', callText('call_agent_t__d', callText('call_agent_t__e', f))),
    );
    await turnEnded(chatId);
    let chat = chatId;
    for (const name of ['b', 'd', 'e']) {
      const [r] = await results(chat);
      expect(r!.parsed.agent_name, name).to.equal(name);
      chat = r!.subChatId as string;
    }
    const [refused] = await results(chat);
    expect(refused!.status).to.equal('error');
    expect(refused!.parsed.error).to.contain(
      'sub-agent depth limit (3) reached: t/a → t/b → t/d → t/e → t/f',
    );
  });

  it('never offers an agent itself; offers the others a wildcard names', async () => {
    const chatId = await newChat('all');
    await post(chatId, callText('call_agent_t__all', 'me'));
    await turnEnded(chatId);
    expect(await ofType(chatId, 'ToolCallStarted')).to.have.length(0);
    const replies = await ofType(chatId, 'AssistantMessageCompleted');
    expect(replies.at(-1)!.content).to.contain('Echo:');
    await post(chatId, callText('call_agent_t__f', 'you'));
    await turnEnded(chatId, 2);
    expect((await results(chatId))[0]!.parsed.response).to.equal('[sinas-dev-model] Echo: you');
  });

  it('refuses a sub-agent the user may read but not chat with (forbidden), and hides one they may not read', async () => {
    const role = `SubRole${Date.now()}`;
    expect((await t.api('/api/v1/roles', { method: 'POST', json: { name: role } })).status).to.equal(201);
    for (const permission_key of ['sinas.agents/t/a.chat:all', 'sinas.agents/t/c.read:own'])
      expect(
        (
          await t.api(`/api/v1/roles/${role}/permissions`, {
            method: 'POST',
            json: { permission_key, permission_value: true },
          })
        ).status,
      ).to.be.oneOf([200, 201]);
    const key = await userKey(t, `sub${Date.now()}`, [role]);
    const chatId = await newChat('a', key);
    await post(chatId, `${callText('call_agent_t__c', 'hi')} and ${callText('call_agent_t__b', 'hi')}`, key);
    await turnEnded(chatId);
    const done = await results(chatId);
    // b is not offered (no read): the model could not call it; c is, but chatting is refused
    expect(done).to.have.length(1);
    expect(done[0]!.status).to.equal('forbidden');
    expect(done[0]!.parsed.message).to.contain("Not authorized to chat with agent 't/c'");
  });

  it('cancelling the top turn cancels its running sub-turn', async () => {
    const chatId = await newChat('boss');
    // POST /messages answers when the turn ends: here, once it is cancelled
    const posted = send(chatId, callText('call_agent_t__slow', 'call test_hold'));
    await until('the sub-agent to hold', async () => family.callsOf('test_hold').length === 1);
    const sub = (await ofType(chatId, 'ToolCallStarted'))[0]!.subChatId as string;
    const r = await t.api(`/chats/${chatId}/cancel`, { method: 'POST', json: {} });
    expect(r.status).to.equal(200);
    await until(
      'the sub-turn to be cancelled',
      async () => (await ofType(sub, 'TurnCancelled')).length === 1,
    );
    await until('the held call to be aborted', async () => family.callsOf('test_hold')[0]!.aborted);
    expect((await ofType(chatId, 'TurnCancelled')).length).to.equal(1);
    await posted;
  });

  /** a parent waiting on a sub-turn parked in test_park; its sub-chat */
  const parkedParent = async () => {
    const chatId = await newChat('boss');
    const parked = family.callsOf('test_park').length;
    // POST /messages answers when the parent's turn ends
    const posted = send(chatId, callText('call_agent_t__slow', 'call test_park'));
    await until('the sub-agent to park', async () => family.callsOf('test_park').length === parked + 1);
    const sub = (await ofType(chatId, 'ToolCallStarted'))[0]!.subChatId as string;
    return { chatId, sub, posted, call: family.callsOf('test_park')[parked]! };
  };

  it('a sub-chat deleted while its parent waits: the call answers "sub-chat deleted" and the parent goes on', async () => {
    const { chatId, sub, posted, call } = await parkedParent();
    expect((await t.api(`/chats/${sub}`, { method: 'DELETE' })).status).to.equal(204);
    await turnEnded(chatId);
    const [r] = await results(chatId);
    expect(r!.status).to.equal('error');
    expect(r!.parsed).to.deep.equal({ agent_name: 'slow', chat_id: sub, error: 'sub-chat deleted' });
    // the parent's model saw the error and answered: its turn completed, not failed
    const replies = await ofType(chatId, 'AssistantMessageCompleted');
    expect(replies.at(-1)!.content).to.contain('sub-chat deleted');
    expect(await ofType(chatId, 'TurnFailed')).to.have.length(0);
    // the deleted sub-chat's turn was cancelled, its running call aborted; the chat stays archived
    expect((await ofType(sub, 'TurnCancelled'))[0]).to.include({ reason: 'deleted' });
    await until('the parked call to be aborted', async () => call.aborted);
    expect((await (await t.api(`/chats/${sub}`)).json()).archived).to.equal(true);
    await posted;
  });

  it("a sub-turn cancelled by its owner: the parent's call answers the cancel and the parent goes on", async () => {
    const { chatId, sub, posted } = await parkedParent();
    expect((await t.api(`/chats/${sub}/cancel`, { method: 'POST', json: {} })).status).to.equal(200);
    await turnEnded(chatId);
    const [r] = await results(chatId);
    expect(r!.status).to.equal('error');
    expect(r!.parsed.error).to.equal("the sub-agent's turn was cancelled");
    expect(await ofType(chatId, 'TurnCancelled')).to.have.length(0);
    expect(await ofType(chatId, 'TurnFailed')).to.have.length(0);
    await posted;
  });

  it('a parent whose wake-up job failed for good is revived by the sweep and finishes', async () => {
    const { chatId, sub, posted } = await parkedParent();
    const turnId = (await ofType(chatId, 'UserMessagePosted'))[0]!.turnId as string;
    const subTurn = (await ofType(sub, 'UserMessagePosted'))[0]!.turnId as string;
    const { queue, pool } = t.platform.services;
    // the wake-up's job id taken by a job that fails for good (as when every attempt met an outage)
    const wake = turnJobId({ chatId, turnId }, subTurnWake(subTurn));
    await queue.add(TURN_QUEUE, 'turn', null, { jobId: wake });
    await until(
      'the wake-up job to fail',
      async () => (await queue.getJob(TURN_QUEUE, wake))?.state === 'failed',
    );
    // the sub-turn ends: its wake-up is deduplicated against the failed job, the parent stays open
    expect((await t.api(`/chats/${sub}/cancel`, { method: 'POST', json: {} })).status).to.equal(200);
    await until('the sweep to revive the parent', async () => (await sweepOpenTurns(pool, queue)) > 0);
    await turnEnded(chatId);
    const [r] = await results(chatId);
    expect(r!.parsed.error).to.equal("the sub-agent's turn was cancelled");
    expect(await queue.getJob(TURN_QUEUE, turnJobId({ chatId, turnId }, 'revive-1'))).to.include({
      state: 'completed',
    });
    await posted;
  });

  // Failed in about half the runs before turns read their own writes (turn-runner waitUntilNext): a
  // job that read its chat from memory trailing its own tool-call reply started a second model
  // round, was refused (the turn waits for its calls) and ended, leaving the turn with no job.
  it('twenty parents waiting on slow sub-agents hold no worker slot (SINAS_TURN_CONCURRENCY=2): all finish', async () => {
    const chats = await Promise.all(Array.from({ length: 20 }, () => newChat('boss')));
    // posted without waiting for the reply (POST /messages would hold a request, and its wait, per chat)
    const owner = (await ofType(chats[0]!, 'ChatCreated'))[0]!.userId as string;
    await Promise.all(
      chats.map((c) =>
        t.platform.services.chats.postMessage(
          c as never,
          { content: callText('call_agent_t__slow', 'call test_slow') },
          { commandId: `post-${c}`, actor: owner },
        ),
      ),
    );
    // with the parents waiting in their jobs, both slots would be theirs and no sub-turn would run
    await until('two slow sub-turns to run', async () => family.callsOf('test_slow').length >= 2);
    slowGate.open();
    for (const c of chats) await turnEnded(c);
    for (const c of chats) {
      const [r] = await results(c);
      expect(r!.status).to.equal('ok');
      expect(r!.parsed.response).to.contain('slow done');
    }
  });
});
