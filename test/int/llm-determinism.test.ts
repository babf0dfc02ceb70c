/**
 * Determinism of the two LLM stand-ins (issue 18 item 3): the development model and the scripted
 * test peer answer the same request with byte-equal responses (ids, tool call ids and arguments,
 * `created` included), streamed or not, so a replay of a recorded turn sees what the original saw.
 */
import { expect } from 'chai';
import express from 'express';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { devModelRouter } from '../../src/runtime/llm/dev-model.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';

const tools = [
  { type: 'function', function: { name: 'demo__lookup', parameters: { type: 'object' } } },
  { type: 'function', function: { name: 'demo__other', parameters: { type: 'object' } } },
];

function request(stream: boolean, text: string): object {
  return {
    model: 'any',
    temperature: 0.3,
    stream,
    ...(stream ? { stream_options: { include_usage: true } } : {}),
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: text },
    ],
    tools,
  };
}

async function post(url: string, body: object): Promise<string> {
  const res = await fetch(`${url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).to.equal(200);
  return res.text();
}

describe('LLM stand-ins are deterministic', () => {
  describe('the development model', () => {
    let server: Server;
    let url: string;
    before(async () => {
      const app = express().use('/dev-llm', devModelRouter());
      server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/dev-llm/v1`;
    });
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    for (const stream of [false, true]) {
      for (const text of ['call demo/lookup {"q": "x"} and call demo/other', 'hello there']) {
        it(`gives byte-equal answers to the same request (stream=${stream}, "${text}")`, async () => {
          const first = await post(url, request(stream, text));
          const second = await post(url, request(stream, text));
          expect(second).to.equal(first);
          expect(first).to.not.match(/"created":[1-9]/);
          if (text.startsWith('call')) expect(first).to.match(/call_dev_[0-9a-f]{16}_1/);
        });
      }
    }

    it('answers a different request differently, ids included', async () => {
      const a = await post(url, request(false, 'call demo/lookup {"q": "x"}'));
      const b = await post(url, request(false, 'call demo/lookup {"q": "y"}'));
      const ids = (raw: string) => raw.match(/call_dev_[0-9a-f]+_0/g);
      expect(ids(a)).to.not.deep.equal(ids(b));
    });
  });

  describe('the scripted peer', () => {
    let llm: ScriptedLlm;
    before(async () => (llm = await startScriptedLlm()));
    after(() => llm.stop());

    for (const stream of [false, true]) {
      it(`gives byte-equal answers to the same request and step (stream=${stream})`, async () => {
        const steps = [
          { text: 'Hello from the script', chunks: 3 },
          {
            toolCalls: [
              { name: 'demo__lookup', arguments: { q: 'x' } },
              { name: 'demo__other', arguments: {} },
            ],
          },
        ];
        llm.script([...steps, ...steps]);
        const body = request(stream, 'hi');
        const answers = [];
        for (let i = 0; i < 4; i++) answers.push(await post(llm.url, body));
        expect(answers[2]).to.equal(answers[0]);
        expect(answers[3]).to.equal(answers[1]);
        expect(answers[3]).to.contain('call_1_scripted');
        // with no step left it echoes, the same way each time
        expect(await post(llm.url, body)).to.equal(await post(llm.url, body));
      });
    }
  });
});
