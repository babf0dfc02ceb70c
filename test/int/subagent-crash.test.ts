/**
 * A worker killed (SIGKILL) in the middle of a sub-agent tree (reference §8 item 2): the top chat's
 * agent calls two sub-agents in parallel, one of which calls a third (three levels); the worker dies
 * while a call at the bottom of each branch runs. After a restart every turn of the tree finishes
 * exactly once (one ending event per turn id in the store): the rerunnable call runs again, the other
 * is answered as interrupted, and each sub-turn's end wakes its parent up to the top.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { endsTurn } from '../../src/events/chat-events.js';
import { streams } from '../../src/events/stream-names.js';
import { INTERRUPTED } from '../../src/runtime/turns/family-tools.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { callText } from '../support/subagent-calls.js';
import { spawnWorker } from '../support/worker-process.js';
import { until } from '../support/until.js';

const startWorker = (url: string, mode: 'block' | 'answer'): ChildProcess =>
  spawnWorker(url, { entry: 'test/support/family-worker.ts', env: { TEST_FAMILY_MODE: mode } });

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- event data, read loosely in assertions
type Loose = Record<string, any>;

describe('sub-agent trees across a worker crash', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  const workers: ChildProcess[] = [];
  before(async () => {
    t = await startTestPlatform({ SINAS_ROLE: 'api' });
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await t?.stop();
  });

  const events = async (chatId: string) =>
    (await t.platform.services.eventStore.readStream(streams.chat(chatId))).map((e) => ({
      type: e.type,
      data: e.data as Loose,
    }));
  /** the chat and every sub-chat below it, from the links its calls recorded */
  const tree = async (chatId: string): Promise<string[]> => {
    const subs = (await events(chatId))
      .filter((e) => e.type === 'ToolCallStarted' && e.data.subChatId)
      .map((e) => e.data.subChatId as string);
    return [chatId, ...(await Promise.all([...new Set(subs)].map(tree))).flat()];
  };
  const startedCalls = async (chatIds: string[]) =>
    (await Promise.all(chatIds.map(events)))
      .flat()
      .filter((e) => e.type === 'ToolCallStarted')
      .map((e) => e.data.name as string);

  it('finishes every turn of the tree exactly once after the worker is killed mid-tree', async () => {
    const first = startWorker(t.db.url, 'block');
    workers.push(first);
    const agent = (name: string, enabled_agents: string[] = []) =>
      t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'k', name, enabled_agents } });
    await agent('d');
    await agent('c');
    await agent('b', ['k/d']);
    await agent('a', ['k/b', 'k/c']);
    for (const name of ['a', 'b', 'c', 'd'])
      await until(
        `agent ${name} projected`,
        async () => (await t.api(`/api/v1/agents/k/${name}`)).status === 200,
      );
    const chatId = (await (await t.api('/agents/k/a/chats', { method: 'POST', json: {} })).json())
      .id as string;
    const deep = callText('call_agent_k__d', 'call test_safe');
    const content = `${callText('call_agent_k__b', deep)} and ${callText('call_agent_k__c', 'call test_effect')}`;
    // answered once the top turn ends, which is after the restart
    const reply = t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content } });
    // a worker process starting on a busy machine can take a while
    await until(
      'both bottom calls to run',
      async () => (await startedCalls(await tree(chatId))).filter((n) => n.startsWith('test_')).length === 2,
      100_000,
    );
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));

    workers.push(startWorker(t.db.url, 'answer'));
    const res = await reply;
    expect(res.status, await res.clone().text()).to.equal(200);
    const chats = await tree(chatId);
    expect(chats).to.have.length(4);
    for (const c of chats) {
      const all = await events(c);
      const posted = all.filter((e) => e.type === 'UserMessagePosted').map((e) => e.data.turnId as string);
      expect(posted, c).to.have.length(1);
      const endings = all.filter((e) => endsTurn(e.type, e.data));
      expect(
        endings.map((e) => e.type),
        c,
      ).to.deep.equal(['AssistantMessageCompleted']);
      expect(endings[0]!.data.turnId).to.equal(posted[0]);
    }
    // the bottom calls: the rerunnable one ran again, the other was answered as interrupted
    const results = (await Promise.all(chats.map(events)))
      .flat()
      .filter((e) => e.type === 'ToolCallCompleted')
      .map((e) => ({
        name: e.data.name as string,
        status: e.data.status as string,
        result: JSON.parse(e.data.result),
      }));
    expect(results.find((r) => r.name === 'test_safe')).to.deep.include({
      status: 'ok',
      result: { ran_by: 'answering worker' },
    });
    expect(results.find((r) => r.name === 'test_effect')).to.deep.include({
      status: 'error',
      result: { error: INTERRUPTED },
    });
    // every sub-agent call got its sub-agent's reply, each call started once
    const subResults = results.filter((r) => r.name.startsWith('call_agent_'));
    expect(subResults.map((r) => r.status)).to.deep.equal(['ok', 'ok', 'ok']);
    const names = await startedCalls(chats);
    expect(names.slice().sort()).to.deep.equal(
      ['call_agent_k__b', 'call_agent_k__c', 'call_agent_k__d', 'test_effect', 'test_safe'].sort(),
    );
  });
});
