/**
 * With no provider configured, the built-in development model drives the whole tool flow: two
 * parallel calls (one waiting for approval), the approval, a function that pauses on input(), and
 * the chat answering it through `continue_execution`.
 */
import { expect } from 'chai';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

describe('development model: tools, approval and a paused function', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform();
    const fn = (name: string, code: string, extra: object = {}) =>
      t.api('/api/v1/functions', {
        method: 'POST',
        json: { namespace: 'demo', name, code, input_schema: { type: 'object' }, ...extra },
      });
    expect(
      (
        await fn(
          'refund',
          'def handler(input_data, context):\n    return {"refunded": input_data.get("amount")}\n',
          {
            requires_approval: true,
          },
        )
      ).status,
    ).to.equal(201);
    expect(
      (
        await fn(
          'ask',
          'def handler(input_data, context):\n    name = input("Who is asking?")\n    return {"hello": name}\n',
        )
      ).status,
    ).to.equal(201);
    await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'demo', name: 'assistant', enabled_functions: ['demo/refund', 'demo/ask'] },
    });
  });
  after(async () => t?.stop());

  const turnDone = async (chatId: string, n: number) => {
    for (let i = 0; i < 400; i++) {
      const c = await (await t.api(`/chats/${chatId}`)).json();
      if (c.turns.length >= n && c.turns[n - 1].status === 'completed') return c;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`turn ${n} did not complete`);
  };

  it('runs the flow end to end with no API key', async () => {
    const chat = await (await t.api('/agents/demo/assistant/chats', { method: 'POST', json: {} })).json();
    const first = await (
      await t.api(`/chats/${chat.id}/messages`, {
        method: 'POST',
        json: { content: 'call demo/refund {"amount": 5} and call demo/ask' },
      })
    ).json();
    expect(first.status).to.equal('awaiting_approval');
    expect(first.model).to.equal('sinas-dev-model');
    expect(first.pending_approvals).to.have.length(1);
    const approval = first.pending_approvals[0];
    expect(approval.function_name).to.equal('refund');
    const r = await t.api(`/chats/${chat.id}/approve-tool/${approval.tool_call_id}`, {
      method: 'POST',
      json: { approved: true, reason: 'demo' },
    });
    expect(r.status).to.equal(202);
    const after = await turnDone(chat.id, 1);
    const reply = after.messages.at(-1).content as string;
    expect(reply).to.contain('Tool demo__refund returned: {"refunded":5}');
    expect(reply).to.match(/Tool demo__ask returned: .*awaiting_input.*Who is asking\?/);

    const answered = await (
      await t.api(`/chats/${chat.id}/messages`, { method: 'POST', json: { content: 'answer "Ada"' } })
    ).json();
    expect(answered.content).to.contain('Tool continue_execution returned: {"hello":"Ada"}');
    const ask = after.tool_calls.find((c: { name: string }) => c.name === 'demo__ask');
    const execution = await (await t.api(`/executions/${ask.execution_id}`)).json();
    expect(execution).to.include({ status: 'COMPLETED', runs: 2 });
    expect(execution.output_data).to.deep.equal({ hello: 'Ada' });
  });
});
