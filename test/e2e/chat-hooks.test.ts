/**
 * Agent message hooks: on_user_message mutates or blocks before the model sees the message (a
 * failing hook blocks or passes by on_timeout); on_assistant_message replaces the reply before it
 * is stored; an asynchronous assistant hook revises the stored reply afterwards.
 */
import { expect } from 'chai';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, useProvider, type TestPlatform } from '../support/platform.js';

const FUNCTIONS: Record<string, string> = {
  shout: `
def handler(input_data, context):
    return {"content": input_data["message"]["content"].upper()}
`,
  guard: `
def handler(input_data, context):
    if "darn" in input_data["message"]["content"]:
        return {"block": True, "reply": "Please keep it polite."}
    return None
`,
  broken: `
def handler(input_data, context):
    raise RuntimeError("hook exploded")
`,
  redact: `
def handler(input_data, context):
    return {"content": input_data["message"]["content"].replace("secret", "[redacted]")}
`,
  later: `
def handler(input_data, context):
    return {"content": input_data["message"]["content"] + " (reviewed)"}
`,
};

describe('message hooks', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    for (const [name, code] of Object.entries(FUNCTIONS)) {
      const r = await t.api('/api/v1/functions', {
        method: 'POST',
        json: { namespace: 'hooks', name, code, input_schema: { type: 'object' } },
      });
      expect(r.status, name).to.equal(201);
    }
    const agent = (name: string, hooks: object) =>
      t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'hooks', name, hooks } });
    await agent('mutating', { on_user_message: [{ function: 'hooks/shout' }] });
    await agent('guarded', { on_user_message: [{ function: 'hooks/guard' }, { function: 'hooks/shout' }] });
    await agent('strict', { on_user_message: [{ function: 'hooks/broken', on_timeout: 'block' }] });
    await agent('lenient', { on_user_message: [{ function: 'hooks/broken', on_timeout: 'passthrough' }] });
    await agent('redacting', { on_assistant_message: [{ function: 'hooks/redact' }] });
    await agent('reviewed', { on_assistant_message: [{ function: 'hooks/later', async: true }] });
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  beforeEach(() => llm.reset());

  const ask = async (agent: string, content: string) => {
    const chat = await (await t.api(`/agents/hooks/${agent}/chats`, { method: 'POST', json: {} })).json();
    const r = await t.api(`/chats/${chat.id}/messages`, { method: 'POST', json: { content } });
    expect(r.status).to.equal(200);
    return { chatId: chat.id as string, reply: await r.json() };
  };
  const lastUserMessage = () => {
    const msgs = llm.requests.at(-1)!.messages as { role: string; content: string }[];
    return msgs.filter((m) => m.role === 'user').at(-1)!.content;
  };

  it('a user hook that returns content rewrites the message the model and the record see', async () => {
    const { chatId } = await ask('mutating', 'hello there');
    expect(lastUserMessage()).to.equal('HELLO THERE');
    const chat = await (await t.api(`/chats/${chatId}`)).json();
    expect(chat.messages[0]).to.include({ role: 'user', content: 'HELLO THERE' });
  });

  it('a user hook that blocks answers with its reply and calls no model; the next hook does not run', async () => {
    const { reply } = await ask('guarded', 'darn it');
    expect(reply.content).to.equal('Please keep it polite.');
    expect(llm.requests).to.have.length(0);
    const passed = await ask('guarded', 'all good');
    expect(lastUserMessage()).to.equal('ALL GOOD');
    expect(passed.reply.content).to.equal('Echo: ALL GOOD');
  });

  it('a failing hook blocks with on_timeout "block" and is skipped with "passthrough"', async () => {
    const strict = await ask('strict', 'hi');
    expect(strict.reply.content).to.match(/^Message blocked: hook 'hooks\/broken' failed: .*hook exploded/);
    expect(llm.requests).to.have.length(0);
    const lenient = await ask('lenient', 'hi');
    expect(lenient.reply.content).to.equal('Echo: hi');
  });

  it('an assistant hook replaces the reply before it is stored', async () => {
    llm.script([{ text: 'the secret is 42' }]);
    const { chatId, reply } = await ask('redacting', 'tell me');
    expect(reply.content).to.equal('the [redacted] is 42');
    const chat = await (await t.api(`/chats/${chatId}`)).json();
    expect(chat.messages.at(-1).content).to.equal('the [redacted] is 42');
  });

  it('an asynchronous assistant hook revises the stored reply afterwards', async () => {
    llm.script([{ text: 'answer' }]);
    const { chatId, reply } = await ask('reviewed', 'q');
    expect(reply.content).to.equal('answer');
    for (let i = 0; i < 400; i++) {
      const chat = await (await t.api(`/chats/${chatId}`)).json();
      if (chat.messages.at(-1).content === 'answer (reviewed)') return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error('the stored reply was never revised');
  });
});
