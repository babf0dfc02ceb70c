import { expect } from 'chai';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Ajv } from 'ajv';
import OpenAI from 'openai';
import { devModelRouter } from '../../src/runtime/llm/dev-model.js';
import {
  isAbortError,
  LlmError,
  type LlmDelta,
  type LlmMessage,
  type LlmRequest,
  type LlmResult,
  type LlmTool,
} from '../../src/runtime/llm/llm.js';
import { OpenAiLlm, type OpenAiLlmOptions } from '../../src/runtime/llm/openai-llm.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';

const weatherTool: LlmTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};

function ask(text: string, extra: Partial<LlmRequest> = {}): LlmRequest {
  return { model: 'test-model', messages: [{ role: 'user', content: text }], ...extra };
}

/** Runs one call, collecting the deltas; resolves with the outcome either way. */
async function run(
  llm: OpenAiLlm,
  baseUrl: string,
  request: LlmRequest,
  signal?: AbortSignal,
): Promise<{ result?: LlmResult; error?: unknown; deltas: LlmDelta[] }> {
  const deltas: LlmDelta[] = [];
  const endpoint = { baseUrl, apiKey: 'sk-test', label: 'scripted' };
  try {
    const result = await llm.complete(endpoint, request, (d) => deltas.push(d), signal ? { signal } : {});
    return { result, deltas };
  } catch (error) {
    return { error, deltas };
  }
}

function texts(deltas: readonly LlmDelta[]): string[] {
  return deltas.flatMap((d) => (d.type === 'content' ? [d.text] : []));
}

describe('OpenAiLlm against a scripted OpenAI-compatible server', function () {
  let peer: ScriptedLlm;
  const fast = (o: OpenAiLlmOptions = {}) =>
    new OpenAiLlm({ attempts: 3, baseDelayMs: 5, timeoutMs: 5_000, ...o });

  before(async () => (peer = await startScriptedLlm()));
  after(() => peer.stop());
  beforeEach(() => peer.reset());

  it('streams text: deltas arrive in order and the result assembles them, with usage and model', async () => {
    peer.script([{ text: 'Hello brave new world', chunkDelayMs: 5 }]);
    const { result, deltas } = await run(fast(), peer.url, ask('say hello'));
    expect(texts(deltas)).to.deep.equal(['Hello ', 'brave ', 'new ', 'world']);
    expect(result).to.deep.include({
      content: 'Hello brave new world',
      finishReason: 'stop',
      model: 'test-model',
    });
    expect(result?.toolCalls).to.deep.equal([]);
    expect(result?.usage).to.deep.equal({ prompt_tokens: 2, completion_tokens: 4, total_tokens: 6 });
  });

  it('assembles tool calls from argument fragments, delivering each fragment', async () => {
    const calls = [
      { name: 'get_weather', arguments: { city: 'Oslo', days: 3 }, id: 'call_a' },
      { name: 'get_time', arguments: { zone: 'Europe/Oslo' }, id: 'call_b' },
    ];
    peer.script([{ toolCalls: calls }]);
    const { result, deltas } = await run(fast(), peer.url, ask('weather and time?'));
    expect(result?.finishReason).to.equal('tool_calls');
    expect(result?.toolCalls).to.deep.equal(
      calls.map((c) => ({
        id: c.id,
        type: 'function',
        function: { name: c.name, arguments: JSON.stringify(c.arguments) },
      })),
    );
    const fragments = deltas.filter((d) => d.type === 'tool_call' && d.index === 0 && d.argumentsDelta);
    expect(fragments).to.have.length(3);
  });

  it('sends messages, temperature, max_tokens, tools and response_format as given, always streaming', async () => {
    const messages: LlmMessage[] = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'weather?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
      },
      { role: 'tool', content: '{"temp":21}', tool_call_id: 'c1', name: 'get_weather' },
    ];
    const response_format = { type: 'json_object' } as const;
    const request = {
      model: 'm1',
      messages,
      temperature: 0.2,
      max_tokens: 50,
      tools: [weatherTool],
      response_format,
    };
    await run(fast(), peer.url, request);
    const sent = peer.requests[0];
    expect(sent).to.deep.include({
      model: 'm1',
      temperature: 0.2,
      max_tokens: 50,
      stream: true,
      response_format,
    });
    expect(sent?.stream_options).to.deep.equal({ include_usage: true });
    expect(sent?.tools).to.deep.equal([weatherTool]);
    expect(sent?.messages).to.deep.equal([
      ...messages.slice(0, 3),
      { role: 'tool', content: '{"temp":21}', tool_call_id: 'c1' },
    ]);
  });

  it('leaves out options that were not given', async () => {
    await run(fast(), peer.url, ask('hi'));
    expect(peer.requests[0]).to.not.have.any.keys('temperature', 'max_tokens', 'tools', 'response_format');
  });

  it('retries a rate limit and then succeeds', async () => {
    peer.script([{ error: { status: 429, message: 'slow down' } }, { text: 'finally' }]);
    const { result } = await run(fast(), peer.url, ask('hi'));
    expect(result?.content).to.equal('finally');
    expect(peer.requests).to.have.length(2);
  });

  it('retries a connection dropped before any delta', async () => {
    peer.script([{ dropAfterChunks: 0 }, { text: 'second try' }]);
    const { result } = await run(fast(), peer.url, ask('hi'));
    expect(result?.content).to.equal('second try');
    expect(peer.requests).to.have.length(2);
  });

  it('fails with the provider reason after the configured attempts of 5xx', async () => {
    const boom = { error: { status: 500, message: 'upstream exploded' } };
    peer.script([boom, boom, boom, boom]);
    const { error } = await run(fast({ attempts: 4 }), peer.url, ask('hi'));
    expect(error).to.be.instanceOf(LlmError);
    expect((error as LlmError).message)
      .to.include('500 upstream exploded')
      .and.include('scripted');
    expect(error).to.deep.include({
      status: 500,
      retryable: true,
      attempts: 4,
      partial: false,
      code: 'unavailable',
    });
    expect(peer.requests).to.have.length(4);
  });

  it('does not retry a 400', async () => {
    peer.script([{ error: { status: 400, message: 'bad model' } }, { text: 'never sent' }]);
    const { error } = await run(fast(), peer.url, ask('hi'));
    expect(error).to.be.instanceOf(LlmError);
    expect(error).to.deep.include({ status: 400, retryable: false, attempts: 1 });
    expect((error as Error).message).to.include('400 bad model');
    expect(peer.requests).to.have.length(1);
  });

  it('fails without retrying when the connection drops after deltas were delivered', async () => {
    peer.script([{ dropAfterChunks: 2 }, { text: 'would duplicate' }]);
    const { error, deltas } = await run(fast(), peer.url, ask('hi'));
    expect(texts(deltas)).to.deep.equal(['part0 ', 'part1 ']);
    expect(error).to.be.instanceOf(LlmError);
    expect(error).to.deep.include({ partial: true, attempts: 1 });
    expect(peer.requests).to.have.length(1);
  });

  it('times out a stalled stream after deltas without retrying', async () => {
    peer.script([{ hangAfterChunks: 1 }, { text: 'would duplicate' }]);
    const { error, deltas } = await run(fast({ timeoutMs: 200 }), peer.url, ask('hi'));
    expect(texts(deltas)).to.deep.equal(['part0 ']);
    expect((error as LlmError).message).to.include('within 200 ms');
    expect(error).to.deep.include({ partial: true, retryable: true });
    expect(peer.requests).to.have.length(1);
  });

  it('retries a response that does not start within the timeout', async () => {
    peer.script([{ text: 'too late', latencyMs: 1_000 }, { text: 'on time' }]);
    const { result } = await run(fast({ timeoutMs: 200 }), peer.url, ask('hi'));
    expect(result?.content).to.equal('on time');
    expect(peer.requests).to.have.length(2);
  });

  it('rejects with an AbortError when the signal aborts mid-stream, without retrying', async () => {
    peer.script([{ hangAfterChunks: 1 }, { text: 'never' }]);
    const controller = new AbortController();
    const llm = fast();
    const deltas: LlmDelta[] = [];
    const call = llm.complete(
      { baseUrl: peer.url, apiKey: 'k' },
      ask('hi'),
      (d) => {
        deltas.push(d);
        controller.abort();
      },
      { signal: controller.signal },
    );
    const error = await call.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAbortError(error)).to.equal(true);
    expect(deltas).to.have.length(1);
    expect(peer.requests).to.have.length(1);
  });

  it('stops waiting to retry when the signal aborts during backoff', async () => {
    peer.script([{ error: { status: 503, message: 'busy' } }]);
    const controller = new AbortController();
    const call = run(fast({ baseDelayMs: 120_000 }), peer.url, ask('hi'), controller.signal);
    setTimeout(() => controller.abort(), 50);
    const { error } = await call;
    expect(isAbortError(error)).to.equal(true);
    expect(peer.requests).to.have.length(1);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const { error } = await run(fast(), peer.url, ask('hi'), AbortSignal.abort());
    expect(isAbortError(error)).to.equal(true);
    expect(peer.requests).to.have.length(0);
  });

  it('answers non-streaming requests too (raw openai client)', async () => {
    peer.script([{ text: 'plain answer' }]);
    const client = new OpenAI({ baseURL: peer.url, apiKey: 'k', maxRetries: 0 });
    const reply = await client.chat.completions.create({
      model: 'x',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(reply.choices[0]?.message.content).to.equal('plain answer');
  });
});

describe('the development model, over HTTP', function () {
  let server: Server;
  let baseUrl: string;
  const llm = new OpenAiLlm({ attempts: 1 });

  before(async () => {
    const app = express();
    app.use('/dev-llm', devModelRouter());
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dev-llm/v1`;
  });
  after(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));

  it('streams a labelled echo of the last user message in several chunks', async () => {
    const request: LlmRequest = {
      model: 'whatever',
      messages: [
        { role: 'system', content: 'you are helpful' },
        { role: 'user', content: 'hello dev model' },
      ],
    };
    const { result, deltas } = await run(llm, baseUrl, request);
    expect(result?.content).to.equal('[sinas-dev-model] Echo: hello dev model');
    expect(texts(deltas).length).to.be.greaterThan(1);
    expect(texts(deltas).join('')).to.equal(result?.content);
    expect(result).to.deep.include({ model: 'sinas-dev-model', finishReason: 'stop' });
    expect(result?.usage.total_tokens).to.equal(
      result!.usage.prompt_tokens + result!.usage.completion_tokens,
    );
    expect(result?.usage.prompt_tokens).to.equal(6);
  });

  it('calls a tool when asked and the tool is offered, with the given JSON arguments', async () => {
    const { result } = await run(
      llm,
      baseUrl,
      ask('please call get_weather {"city": "Oslo"}', { tools: [weatherTool] }),
    );
    expect(result?.finishReason).to.equal('tool_calls');
    expect(result?.toolCalls).to.have.length(1);
    expect(result?.toolCalls[0]?.function.name).to.equal('get_weather');
    expect(JSON.parse(result?.toolCalls[0]?.function.arguments ?? '')).to.deep.equal({ city: 'Oslo' });
  });

  it('echoes instead when the named tool is not offered', async () => {
    const { result } = await run(llm, baseUrl, ask('call tool get_time', { tools: [weatherTool] }));
    expect(result?.toolCalls).to.deep.equal([]);
    expect(result?.content).to.equal('[sinas-dev-model] Echo: call tool get_time');
  });

  it('replies to a tool result naming the tool', async () => {
    const messages: LlmMessage[] = [
      { role: 'user', content: 'call get_weather' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
      },
      { role: 'tool', content: '{"temp":21}', tool_call_id: 'call_1' },
    ];
    const { result } = await run(llm, baseUrl, { model: 'm', messages, tools: [weatherTool] });
    expect(result?.content).to.equal('[sinas-dev-model] Tool get_weather returned: {"temp":21}');
  });

  it('returns JSON satisfying a json_schema response format', async () => {
    const schema = {
      type: 'object',
      properties: {
        answer: { type: 'string' },
        score: { type: 'number' },
        ok: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' } },
        meta: { type: 'object', properties: { id: { type: 'integer' } }, required: ['id'] },
        mood: { type: 'string', enum: ['happy', 'sad'] },
        optional: { type: 'string' },
      },
      required: ['answer', 'score', 'ok', 'tags', 'meta', 'mood'],
      additionalProperties: false,
    };
    const response_format = {
      type: 'json_schema',
      json_schema: { name: 'r', schema, strict: true },
    } as const;
    const { result } = await run(llm, baseUrl, ask('rate this', { response_format }));
    const value = JSON.parse(result?.content ?? '') as Record<string, unknown>;
    expect(new Ajv().validate(schema, value)).to.equal(true);
    expect(value.answer).to.equal('[sinas-dev-model] Echo: rate this');
  });

  it('returns a JSON object for json_object', async () => {
    const { result } = await run(llm, baseUrl, ask('hi', { response_format: { type: 'json_object' } }));
    expect(JSON.parse(result?.content ?? '')).to.deep.equal({ reply: '[sinas-dev-model] Echo: hi' });
  });

  it('gives the same answer to the same request', async () => {
    const request = ask('call get_weather', { tools: [weatherTool] });
    const [a, b] = [await run(llm, baseUrl, request), await run(llm, baseUrl, request)];
    expect(a.result?.toolCalls).to.deep.equal(b.result?.toolCalls);
    expect(a.result?.toolCalls[0]?.id).to.match(/^call_dev_/);
  });

  it('serves non-streaming completions and the model list to the raw openai client', async () => {
    const client = new OpenAI({ baseURL: baseUrl, apiKey: 'any', maxRetries: 0 });
    const text = await client.chat.completions.create({
      model: 'x',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(text.model).to.equal('sinas-dev-model');
    expect(text.choices[0]?.message.content).to.equal('[sinas-dev-model] Echo: hi');
    expect(text.usage?.total_tokens).to.be.greaterThan(0);
    const tool = await client.chat.completions.create({
      model: 'x',
      messages: [{ role: 'user', content: 'call get_weather {"city":"Bergen"}' }],
      tools: [weatherTool as OpenAI.ChatCompletionTool],
    });
    expect(tool.choices[0]?.finish_reason).to.equal('tool_calls');
    const call = tool.choices[0]?.message.tool_calls?.[0];
    expect(call?.type === 'function' ? JSON.parse(call.function.arguments) : null).to.deep.equal({
      city: 'Bergen',
    });
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).to.deep.equal(['sinas-dev-model']);
  });
});
