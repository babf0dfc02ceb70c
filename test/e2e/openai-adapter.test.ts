/** The OpenAI-compatible adapter, driven by the real `openai` client against a scripted provider. */
import { expect } from 'chai';
import OpenAI from 'openai';
import { asChatId, asTurnId } from '../../src/events/ids.js';
import { ADMIN_KEY, anotherTurnWorker, startTestPlatform, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('OpenAI-compatible adapter', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let client: OpenAI;
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    for (const provider of [
      {
        name: 'scripted',
        api_key: 'sk-scripted',
        api_endpoint: llm.url,
        default_model: 'scripted-1',
        config: { models: ['scripted-2', 'scripted-1'] },
        is_default: true,
      },
      { name: 'other', api_endpoint: llm.url, default_model: 'scripted-1', config: { models: ['other-1'] } },
    ]) {
      const r = await t.api('/api/v1/llm-providers', { method: 'POST', json: provider });
      expect(r.status).to.equal(201);
    }
    for (const agent of [
      { namespace: 'oa', name: 'helper', system_prompt: 'You help.' },
      { namespace: 'oa', name: 'main', is_default: true },
    ]) {
      const r = await t.api('/api/v1/agents', { method: 'POST', json: agent });
      expect(r.status).to.equal(201);
    }
    client = new OpenAI({ baseURL: `${t.url}/adapters/openai/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  beforeEach(() => llm.reset());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    t.api('/adapters/openai/v1/chat/completions', { method: 'POST', json: body, headers });
  const chatOf = async (id: string) => (await t.api(`/chats/${id}`)).json();

  async function collect(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>) {
    const chunks: OpenAI.Chat.Completions.ChatCompletionChunk[] = [];
    for await (const c of stream) chunks.push(c);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    return { chunks, text };
  }

  describe('agent mode', () => {
    it('answers with the agent, from the last user message only, with the turn usage and X-Chat-ID', async () => {
      llm.script([{ text: 'Hello from the helper' }]);
      const { data, response } = await client.chat.completions
        .create({
          model: 'agent:oa/helper',
          messages: [
            { role: 'system', content: 'ignored system text' },
            { role: 'user', content: 'an earlier question' },
            { role: 'assistant', content: 'an earlier answer' },
            { role: 'user', content: 'what now' },
          ],
        })
        .withResponse();
      expect(data.id).to.match(/^chatcmpl-[0-9a-f]{24}$/);
      expect(data).to.include({ object: 'chat.completion', model: 'agent:oa/helper' });
      expect(data.choices).to.have.length(1);
      expect(data.choices[0]!.message).to.deep.include({
        role: 'assistant',
        content: 'Hello from the helper',
      });
      expect(data.choices[0]!.finish_reason).to.equal('stop');
      // the scripted provider counts words: 'You help.' + 'what now' in, 4 words out
      expect(data.usage).to.deep.equal({ prompt_tokens: 4, completion_tokens: 4, total_tokens: 8 });
      expect(llm.requests[0]!.messages).to.deep.equal([
        { role: 'system', content: 'You help.' },
        { role: 'user', content: 'what now' },
      ]);
      const chatId = response.headers.get('x-chat-id')!;
      expect(chatId).to.match(UUID);
      const chat = await chatOf(chatId);
      expect(chat).to.include({
        title: 'OpenAI adapter: oa/helper',
        agent_namespace: 'oa',
        agent_name: 'helper',
      });
      expect(chat.messages.map((m: { content: string }) => m.content)).to.deep.equal([
        'what now',
        'Hello from the helper',
      ]);
    });

    it('streams the turn as chunks sharing one id, ending with stop, usage and [DONE]', async () => {
      llm.script([{ text: 'one two three four', chunks: 4, chunkDelayMs: 10 }]);
      const { data: stream, response } = await client.chat.completions
        .create({
          model: 'oa/helper',
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: 'count' }],
        })
        .withResponse();
      expect(response.headers.get('content-type')).to.match(/^text\/event-stream/);
      expect(response.headers.get('x-chat-id')).to.match(UUID);
      const { chunks, text } = await collect(stream);
      expect(text).to.equal('one two three four');
      expect(new Set(chunks.map((c) => c.id)).size).to.equal(1);
      expect(new Set(chunks.map((c) => c.created)).size).to.equal(1);
      expect(chunks[0]!.id).to.match(/^chatcmpl-[0-9a-f]{24}$/);
      expect(
        chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'agent:oa/helper'),
      ).to.equal(true);
      expect(chunks[0]!.choices[0]!.delta).to.deep.equal({ role: 'assistant' });
      expect(chunks.filter((c) => c.choices[0]?.delta.content).length).to.equal(4);
      const last = chunks.at(-2)!.choices[0]!;
      expect(last.delta).to.deep.equal({});
      expect(last.finish_reason).to.equal('stop');
      expect(chunks.at(-1)!.choices).to.deep.equal([]);
      expect(chunks.at(-1)!.usage).to.deep.equal({ prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 });
    });

    it('ends a raw stream with data: [DONE] and has no event: lines', async () => {
      llm.script([{ text: 'raw text', chunks: 2 }]);
      const res = await post({
        model: 'oa/helper',
        stream: true,
        messages: [{ role: 'user', content: 'hi' }],
      });
      const body = await res.text();
      expect(body).to.not.match(/^event:/m);
      expect(body.trimEnd().endsWith('data: [DONE]')).to.equal(true);
    });

    it('continues the chat named by X-Chat-ID, streaming only the new turn', async () => {
      llm.script([{ text: 'first reply' }, { text: 'second reply', chunks: 2 }, { text: 'third reply' }]);
      const first = await client.chat.completions
        .create({ model: 'agent:oa/helper', messages: [{ role: 'user', content: 'one' }] })
        .withResponse();
      const chatId = first.response.headers.get('x-chat-id')!;
      const { data: stream, response } = await client.chat.completions
        .create(
          { model: 'agent:oa/helper', stream: true, messages: [{ role: 'user', content: 'two' }] },
          { headers: { 'X-Chat-ID': chatId } },
        )
        .withResponse();
      expect(response.headers.get('x-chat-id')).to.equal(chatId);
      expect((await collect(stream)).text).to.equal('second reply');
      const third = await client.chat.completions
        .create(
          { model: 'agent:oa/helper', messages: [{ role: 'user', content: 'three' }] },
          { headers: { 'X-Chat-ID': chatId } },
        )
        .withResponse();
      expect(third.response.headers.get('x-chat-id')).to.equal(chatId);
      expect(third.data.choices[0]!.message.content).to.equal('third reply');
      expect(llm.requests[2]!.messages.map((m: { content: string }) => m.content)).to.deep.equal([
        'You help.',
        'one',
        'first reply',
        'two',
        'second reply',
        'three',
      ]);
      const chat = await chatOf(chatId);
      expect(chat.messages.map((m: { role: string }) => m.role)).to.deep.equal([
        'user',
        'assistant',
        'user',
        'assistant',
        'user',
        'assistant',
      ]);
      expect(chat.turns.map((x: { status: string }) => x.status)).to.deep.equal([
        'completed',
        'completed',
        'completed',
      ]);
    });

    it('streams only its own turn while an earlier turn of the chat is still streaming', async () => {
      const chatId = (await (await t.api('/agents/oa/helper/chats', { method: 'POST', json: {} })).json()).id;
      llm.script([
        { text: 'a1 a2 a3 a4 a5 a6', chunks: 6, chunkDelayMs: 40 },
        { text: 'b1 b2', chunks: 2 },
      ]);
      const earlier = t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: 'A' } });
      while (llm.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
      const stream = await client.chat.completions.create(
        { model: 'oa/helper', stream: true, messages: [{ role: 'user', content: 'B' }] },
        { headers: { 'X-Chat-ID': chatId } },
      );
      expect((await collect(stream)).text).to.equal('b1 b2');
      expect((await (await earlier).json()).content).to.equal('a1 a2 a3 a4 a5 a6');
    });

    describe('a turn whose model round is generated again mid-stream (another worker takes it over)', () => {
      /** Streams a turn; once `after` chunks of text came, a second worker takes the turn over. */
      async function takenOver(first: string, second: string, after = 2) {
        // the first worker's round stops once the client has more than `after` words, until the
        // takeover ends its model call
        llm.script([
          { text: first, chunks: 6, hold: { afterChunks: after + 1, until: new Promise(() => {}) } },
          { text: second, chunks: 3 },
        ]);
        const other = anotherTurnWorker(t);
        const { data: stream, response } = await client.chat.completions
          .create({ model: 'oa/helper', stream: true, messages: [{ role: 'user', content: 'go' }] })
          .withResponse();
        const chatId = response.headers.get('x-chat-id')!;
        let text = '';
        let takeover: Promise<void> | undefined;
        let failure: unknown;
        try {
          for await (const c of stream) {
            text += c.choices[0]?.delta.content ?? '';
            if (!takeover && text.split(' ').length > after) {
              // the read model may not show the chat yet on a busy machine
              let turns: { turn_id: string }[] | undefined;
              await until(
                'the turn in the read model',
                async () => !!(turns = (await chatOf(chatId)).turns)?.length,
              );
              takeover = other.run(asChatId(chatId), asTurnId(turns!.at(-1)!.turn_id));
            }
          }
        } catch (err) {
          failure = err;
        }
        await takeover;
        let chat = await chatOf(chatId);
        for (let i = 0; chat.turns.at(-1).status !== 'completed'; i++) {
          if (i > 200) throw new Error(`the turn did not complete: ${JSON.stringify(chat.turns)}`);
          await new Promise((r) => setTimeout(r, 10));
          chat = await chatOf(chatId);
        }
        return { text, failure, chat, reply: chat.messages.at(-1) };
      }

      it('sends the rest of the reply when the new one begins with what the client has', async () => {
        const words = 'the same words come back again';
        const { text, failure, chat, reply } = await takenOver(words, words);
        expect(failure).to.equal(undefined);
        expect(chat.turns.at(-1).attempt).to.equal(2);
        expect(reply.content).to.equal(words);
        expect(text).to.equal(words);
      });

      it('ends with an error when the new reply does not begin with what the client has', async () => {
        const { text, failure, reply } = await takenOver(
          'first try says this much more',
          'second try differs',
        );
        expect(reply.content).to.equal('second try differs');
        expect(String(failure)).to.contain('generated again');
        expect(reply.content.startsWith(text)).to.equal(false); // what came is the first try's beginning
        expect('first try says this much more'.startsWith(text)).to.equal(true);
      });
    });

    it("refuses an X-Chat-ID that is unknown, malformed or another agent's chat (404 naming X-Chat-ID)", async () => {
      const created = await (await t.api('/agents/oa/main/chats', { method: 'POST', json: {} })).json();
      for (const id of [created.id, '00000000-0000-4000-8000-000000000000', 'nope']) {
        const err = await client.chat.completions
          .create(
            { model: 'agent:oa/helper', messages: [{ role: 'user', content: 'x' }] },
            { headers: { 'X-Chat-ID': id } },
          )
          .catch((e: unknown) => e);
        expect(err, id).to.be.instanceOf(OpenAI.NotFoundError);
        expect((err as InstanceType<typeof OpenAI.NotFoundError>).param).to.equal('X-Chat-ID');
      }
      expect(llm.requests).to.have.length(0);
    });

    it('uses the default agent when model is omitted, and 400 naming model when there is none', async () => {
      llm.script([{ text: 'from main' }]);
      const r = await post({ messages: [{ role: 'user', content: 'hello' }] });
      expect(r.status).to.equal(200);
      const body = await r.json();
      expect(body.model).to.equal('agent:oa/main');
      expect(body.choices[0].message.content).to.equal('from main');
      const chat = await chatOf(r.headers.get('x-chat-id')!);
      expect(chat).to.include({ agent_name: 'main', title: 'OpenAI adapter: oa/main' });

      const off = await t.api('/api/v1/agents/oa/main', { method: 'PATCH', json: { is_default: false } });
      expect(off.status).to.equal(200);
      try {
        const none = await post({ messages: [{ role: 'user', content: 'hello' }] });
        expect(none.status).to.equal(400);
        expect(await none.json()).to.deep.include({ field: 'model', status: 400 });
      } finally {
        await t.api('/api/v1/agents/oa/main', { method: 'PATCH', json: { is_default: true } });
      }
    });

    it('surfaces a failed turn: 502 with the reason, or an error in the stream', async () => {
      llm.script([{ error: { status: 401, message: 'bad provider key' } }]);
      const err = await client.chat.completions
        .create({ model: 'agent:oa/helper', messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.InternalServerError);
      expect((err as Error & { status: number }).status).to.equal(502);
      expect((err as Error).message).to.contain('bad provider key');

      llm.script([{ error: { status: 401, message: 'still a bad key' } }]);
      const stream = await client.chat.completions.create({
        model: 'agent:oa/helper',
        stream: true,
        messages: [{ role: 'user', content: 'x' }],
      });
      const streamed = await collect(stream).catch((e: unknown) => e);
      expect(streamed).to.be.instanceOf(OpenAI.APIError);
      expect((streamed as Error).message).to.contain('still a bad key');
      expect((streamed as InstanceType<typeof OpenAI.APIError>).code).to.equal('turn_failed');
    });
  });

  describe('passthrough mode', () => {
    it("forwards the messages and options to the provider serving the model, with the provider's usage", async () => {
      llm.script([{ text: 'direct answer' }]);
      const { data, response } = await client.chat.completions
        .create({
          model: 'scripted-2',
          temperature: 0.2,
          max_tokens: 50,
          messages: [
            { role: 'system', content: 'be brief' },
            { role: 'user', content: [{ type: 'text', text: 'a question' }] },
          ],
        })
        .withResponse();
      expect(response.headers.get('x-chat-id')).to.equal(null);
      expect(data).to.include({ object: 'chat.completion', model: 'scripted-2' });
      expect(data.choices[0]!.message.content).to.equal('direct answer');
      expect(data.choices[0]!.finish_reason).to.equal('stop');
      expect(data.usage).to.deep.equal({ prompt_tokens: 4, completion_tokens: 2, total_tokens: 6 });
      const sent = llm.requests[0]!;
      expect(sent).to.include({ model: 'scripted-2', temperature: 0.2, max_tokens: 50 });
      expect(sent.messages).to.deep.equal([
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'a question' },
      ]);
    });

    it('streams the provider deltas as chunks, tool calls included', async () => {
      llm.script([{ text: 'alpha beta gamma', chunks: 3 }]);
      const { chunks, text } = await collect(
        await client.chat.completions.create({
          model: 'other-1',
          stream: true,
          messages: [{ role: 'user', content: 'go' }],
        }),
      );
      expect(text).to.equal('alpha beta gamma');
      expect(chunks[0]!.choices[0]!.delta).to.deep.equal({ role: 'assistant' });
      expect(chunks.at(-1)!.choices[0]!.finish_reason).to.equal('stop');
      expect(new Set(chunks.map((c) => c.id)).size).to.equal(1);

      llm.script([{ toolCalls: [{ name: 'lookup', arguments: { q: 'x' }, id: 'call_1' }] }]);
      const tools = await collect(
        await client.chat.completions.create({
          model: 'scripted-1',
          stream: true,
          messages: [{ role: 'user', content: 'use a tool' }],
        }),
      );
      const calls = tools.chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
      expect(calls[0]).to.deep.include({ index: 0, id: 'call_1', type: 'function' });
      expect(calls.map((c) => c.function?.arguments ?? '').join('')).to.equal('{"q":"x"}');
      expect(tools.chunks.at(-1)!.choices[0]!.finish_reason).to.equal('tool_calls');
    });

    it('turns a provider failure into a 502 with its reason', async () => {
      llm.script([{ error: { status: 400, message: 'model overloaded with nonsense' } }]);
      const err = await client.chat.completions
        .create({ model: 'scripted-1', stream: true, messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e);
      expect((err as Error & { status: number }).status).to.equal(502);
      expect((err as Error).message).to.contain('model overloaded with nonsense');
    });
  });

  describe('models', () => {
    it('lists agents, then provider models once each, with their owners', async () => {
      const models = [];
      for await (const m of client.models.list()) models.push(m);
      expect(models.map((m) => [m.id, m.owned_by])).to.deep.equal([
        ['agent:oa/helper', 'sinas-agent'],
        ['agent:oa/main', 'sinas-agent'],
        ['scripted-1', 'sinas-provider-scripted'],
        ['scripted-2', 'sinas-provider-scripted'],
        ['other-1', 'sinas-provider-other'],
      ]);
      expect(models.every((m) => m.object === 'model' && Number.isInteger(m.created))).to.equal(true);
    });

    it('retrieves one model by any of its ids; 404 otherwise', async () => {
      expect((await client.models.retrieve('agent:oa/helper')).id).to.equal('agent:oa/helper');
      expect((await client.models.retrieve('oa/main')).owned_by).to.equal('sinas-agent');
      expect(await client.models.retrieve('scripted-2')).to.deep.include({
        id: 'scripted-2',
        owned_by: 'sinas-provider-scripted',
      });
      for (const raw of ['agent:oa/helper', 'oa/helper']) {
        const r = await t.api(`/adapters/openai/v1/models/${raw}`);
        expect(r.status, raw).to.equal(200);
        expect((await r.json()).id).to.equal('agent:oa/helper');
      }
      const err = await client.models.retrieve('agent:oa/nobody').catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.NotFoundError);
      expect((await t.api('/adapters/openai/v1/models/no-such-model')).status).to.equal(404);
    });

    it('documents the adapter routes in the OpenAPI document', async () => {
      const doc = await (await t.api('/api/openapi.json')).json();
      for (const path of [
        '/adapters/openai/v1/chat/completions',
        '/adapters/openai/v1/models',
        '/adapters/openai/v1/models/{model_id}',
        '/adapters/openai/v1/models/{owner}/{model_id}',
      ])
        expect(Object.keys(doc.paths[path] ?? {}), path).to.have.length(1);
    });
  });

  describe('bad requests', () => {
    const user = [{ role: 'user', content: 'x' }];
    for (const [what, body, status, field] of [
      ['an unknown agent', { model: 'agent:oa/nobody', messages: user }, 404, 'model'],
      ['an unknown ns/name', { model: 'oa/nobody', messages: user }, 404, 'model'],
      ['a model no provider serves', { model: 'gpt-nothing', messages: user }, 404, 'model'],
      ['no messages', { model: 'oa/helper' }, 400, 'messages'],
      [
        'a bad role',
        { model: 'oa/helper', messages: [{ role: 'robot', content: 'x' }] },
        400,
        'messages.0.role',
      ],
      ['a numeric model', { model: 7, messages: user }, 400, 'model'],
      ['a non-boolean stream', { model: 'oa/helper', stream: 'yes', messages: user }, 400, 'stream'],
      ['a bad temperature', { model: 'oa/helper', temperature: 9, messages: user }, 400, 'temperature'],
      [
        'no user message',
        { model: 'oa/helper', messages: [{ role: 'system', content: 's' }] },
        400,
        'messages',
      ],
      [
        'a content part of an unknown type (images, audio and files are taken: message-parts.test.ts)',
        { model: 'oa/helper', messages: [{ role: 'user', content: [{ type: 'video_url', video_url: {} }] }] },
        400,
        'messages.0.content.0.type',
      ],
      [
        'a non-text part in passthrough mode',
        {
          model: 'scripted-1',
          messages: [
            { role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] },
          ],
        },
        400,
        'messages.0.content',
      ],
    ] as const) {
      it(`answers ${status} naming ${field} for ${what}`, async () => {
        const r = await post(body);
        expect(r.status).to.equal(status);
        expect(r.headers.get('content-type')).to.match(/^application\/problem\+json/);
        const problem = await r.json();
        expect(problem.field).to.equal(field);
        expect(problem.error).to.deep.include({ param: field });
        expect(problem.error.message).to.be.a('string');
      });
    }

    it('gives the openai client the reason and the field', async () => {
      const err = await client.chat.completions
        .create({ model: 'agent:oa/nobody', messages: [{ role: 'user', content: 'x' }] })
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.NotFoundError);
      expect((err as Error).message).to.contain("agent 'oa/nobody' not found");
      expect((err as InstanceType<typeof OpenAI.NotFoundError>).param).to.equal('model');
    });

    it('requires an API key', async () => {
      const anonymous = new OpenAI({ baseURL: client.baseURL, apiKey: 'sk-wrong', maxRetries: 0 });
      const err = await anonymous.models.list().catch((e: unknown) => e);
      expect(err).to.be.instanceOf(OpenAI.AuthenticationError);
    });
  });
});
