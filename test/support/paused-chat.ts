/**
 * The chat the timeline tests read: its tool call needed an approval (granted with a reason), ran a
 * function that paused on input(), and was continued with an answer.
 */
import { expect } from 'chai';
import type { ScriptedLlm } from './scripted-llm.js';
import type { TestPlatform } from './platform.js';

export const PAUSED_CHAT = {
  message: 'ask',
  reason: 'looks fine',
  prompt: 'who?',
  answer: 'Ada',
  reply: 'it paused',
  arguments: { topic: 'names' },
} as const;

const ASK = `def handler(input_data, context):\n    return {"name": input("${PAUSED_CHAT.prompt}")}\n`;

/** Creates function tl/ask and agent tl/bot and runs the scenario as the admin; the chat's and execution's ids. */
export async function pausedChat(
  t: TestPlatform,
  llm: ScriptedLlm,
): Promise<{ chatId: string; executionId: string }> {
  await t.api('/api/v1/functions', {
    method: 'POST',
    json: {
      namespace: 'tl',
      name: 'ask',
      code: ASK,
      input_schema: { type: 'object' },
      requires_approval: true,
    },
  });
  await t.api('/api/v1/agents', {
    method: 'POST',
    json: { namespace: 'tl', name: 'bot', enabled_functions: ['tl/ask'] },
  });
  const chatId = (await (await t.api('/agents/tl/bot/chats', { method: 'POST', json: {} })).json()).id;
  llm.script([
    { toolCalls: [{ id: 'call_tl', name: 'tl__ask', arguments: PAUSED_CHAT.arguments }] },
    { text: PAUSED_CHAT.reply },
  ]);
  const first = await (
    await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: PAUSED_CHAT.message } })
  ).json();
  expect(first.status).to.equal('awaiting_approval');
  await t.api(`/chats/${chatId}/approve-tool/call_tl`, {
    method: 'POST',
    json: { approved: true, reason: PAUSED_CHAT.reason },
  });
  let executionId = '';
  for (let i = 0; i < 400 && !executionId; i++) {
    const c = await (await t.api(`/chats/${chatId}`)).json();
    if (c.turns[0].status === 'completed') executionId = c.tool_calls[0].execution_id;
    else await new Promise((r) => setTimeout(r, 25));
  }
  expect(executionId, 'the tool call ran an execution').to.match(/^[0-9a-f-]{36}$/);
  const done = await (
    await t.api(`/executions/${executionId}/continue`, {
      method: 'POST',
      json: { input: PAUSED_CHAT.answer },
    })
  ).json();
  expect(done.status).to.equal('success');
  return { chatId, executionId };
}
