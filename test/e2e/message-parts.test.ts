/**
 * Content parts in user messages (reference §3.4): image, audio and file parts through send,
 * stream, invoke and the OpenAI adapter, with the development model (which says what it received)
 * and a scripted provider (which shows the provider-format request). Inline bytes live outside the
 * events as blob references; GET /chats, the timeline and the export show references; the bytes
 * come back through the parts route for the chat's owner only; a rebuilt read model and a later
 * turn still find them. Boundaries: another user's private file, private-address URLs, oversized parts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import OpenAI from 'openai';
import { streams } from '../../src/events/stream-names.js';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { settleProjections } from '../../src/projections/settle.js';
import { platformProjections } from '../../src/runtime/kinds.js';
import { ADMIN_KEY, startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { snapshot } from '../support/rebuild-check.js';
import { parseSse } from '../support/sse-frames.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';

const MAX = 4096;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const png = randomBytes(300);
const wav = randomBytes(200);
const pdf = randomBytes(500);
const b64 = (b: Buffer) => b.toString('base64');

/** a text, an inline image, inline audio and an inline file */
const allParts = [
  { type: 'text', text: 'look at these' },
  { type: 'image', image: `data:image/png;base64,${b64(png)}`, detail: 'low' },
  { type: 'audio', data: b64(wav), format: 'wav' },
  { type: 'file', file_data: b64(pdf), filename: 'report.pdf', mime_type: 'application/pdf' },
];
const described = [
  `(received image image/png 300 bytes sha256:${sha(png)})`,
  `(received audio wav 200 bytes sha256:${sha(wav)})`,
  `(received file report.pdf application/pdf 500 bytes sha256:${sha(pdf)})`,
];
/** what the provider is sent for allParts */
const providerParts = [
  { type: 'text', text: 'look at these' },
  { type: 'image_url', image_url: { url: `data:image/png;base64,${b64(png)}`, detail: 'low' } },
  { type: 'input_audio', input_audio: { data: b64(wav), format: 'wav' } },
  { type: 'file', file: { file_data: `data:application/pdf;base64,${b64(pdf)}`, filename: 'report.pdf' } },
];

describe('content parts in messages', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let peer: Server;
  let peerUrl: string;
  let alice: Record<string, string>;
  let bob: Record<string, string>;

  before(async () => {
    llm = await startScriptedLlm();
    // a loopback file server, reachable because the test allow-lists 127.0.0.1
    peer = createServer((req, res) => {
      if (req.url === '/clip.wav') res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    peerUrl = `http://127.0.0.1:${(peer.address() as AddressInfo).port}`;
    t = await startTestPlatform({
      SINAS_MESSAGE_PART_MAX_BYTES: String(MAX),
      SINAS_OUTBOUND_ALLOWLIST: '127.0.0.1',
    });
    const dev = await t.api('/api/v1/llm-providers', {
      method: 'POST',
      json: {
        name: 'devmodel',
        api_endpoint: await t.platform.services.devModel.url(),
        default_model: 'sinas-dev-model',
      },
    });
    expect(dev.status).to.equal(201);
    const scripted = await t.api('/api/v1/llm-providers', {
      method: 'POST',
      json: { name: 'scripted', api_endpoint: llm.url, default_model: 'm', is_default: true },
    });
    expect(scripted.status).to.equal(201);
    for (const agent of [
      { namespace: 'parts', name: 'dev', llm_provider_id: (await dev.json()).id },
      { namespace: 'parts', name: 'scripted' },
    ]) {
      const r = await t.api('/api/v1/agents', { method: 'POST', json: agent });
      expect(r.status, await r.text()).to.equal(201);
    }
    alice = { 'x-api-key': await userKey(t, 'parts-alice') };
    bob = { 'x-api-key': await userKey(t, 'parts-bob') };
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
    peer?.closeAllConnections();
    await new Promise((resolve) => peer?.close(resolve));
  });
  beforeEach(() => llm.reset());

  const newChat = async (agent: string, headers: Record<string, string> = {}) => {
    const r = await t.api(`/agents/parts/${agent}/chats`, { method: 'POST', json: {}, headers });
    expect(r.status).to.equal(200);
    return (await r.json()).id as string;
  };
  const send = (chatId: string, content: unknown, headers: Record<string, string> = {}) =>
    t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content }, headers });
  const userMessage = (request: Record<string, unknown>) =>
    (request.messages as { role: string; content: unknown }[]).findLast((m) => m.role === 'user')!;

  describe('send', () => {
    it('the development model receives each part and says so; the event holds references, not bytes', async () => {
      const chatId = await newChat('dev');
      const r = await send(chatId, allParts);
      expect(r.status).to.equal(200);
      const reply = (await r.json()).content as string;
      expect(reply).to.contain('look at these');
      for (const d of described) expect(reply).to.contain(d);

      const posted = (await t.platform.services.eventStore.readStream(streams.chat(chatId))).find(
        (e) => e.type === 'UserMessagePosted',
      )!;
      const json = JSON.stringify(posted.data);
      expect(json).not.to.contain(b64(png));
      expect(json.length).to.be.below(2000);
      const parts = (posted.data as { parts: { source?: { sha256: string } }[] }).parts;
      expect(parts.map((p) => p.source?.sha256)).to.deep.equal([undefined, sha(png), sha(wav), sha(pdf)]);
    });

    it('the scripted provider is sent the client content parts: image_url, input_audio, file', async () => {
      const chatId = await newChat('scripted');
      expect((await send(chatId, allParts)).status).to.equal(200);
      expect(userMessage(llm.requests[0]!).content).to.deep.equal(providerParts);
    });

    it('an image URL goes to the provider as given; an audio URL is fetched once through the guard', async () => {
      const chatId = await newChat('scripted');
      const r = await send(chatId, [
        { type: 'image', image: 'https://93.184.216.34/cat.png' },
        { type: 'audio', url: `${peerUrl}/clip.wav`, format: 'wav' },
      ]);
      expect(r.status, await r.clone().text()).to.equal(200);
      expect(userMessage(llm.requests[0]!).content).to.deep.equal([
        { type: 'image_url', image_url: { url: 'https://93.184.216.34/cat.png' } },
        { type: 'input_audio', input_audio: { data: b64(wav), format: 'wav' } },
      ]);
    });
  });

  it('stream: the parts reach the model and the reply streams', async () => {
    const chatId = await newChat('dev');
    const r = await t.api(`/chats/${chatId}/messages/stream`, {
      method: 'POST',
      json: { content: allParts.slice(0, 2) },
    });
    expect(r.status).to.equal(200);
    const text = parseSse(await r.text())
      .filter((f) => f.event === 'message')
      .map((f) => (JSON.parse(f.data) as { content?: string }).content ?? '')
      .join('');
    expect(text).to.contain(described[0]);
  });

  it('invoke: the parts reach the model (development model and scripted provider)', async () => {
    const dev = await t.api('/agents/parts/dev/invoke', { method: 'POST', json: { message: allParts } });
    expect(dev.status).to.equal(200);
    const reply = (await dev.json()).reply as string;
    for (const d of described) expect(reply).to.contain(d);
    const scripted = await t.api('/agents/parts/scripted/invoke', {
      method: 'POST',
      json: { message: allParts },
    });
    expect(scripted.status).to.equal(200);
    expect(userMessage(llm.requests[0]!).content).to.deep.equal(providerParts);
  });

  describe('OpenAI adapter (agent mode, the real openai client)', () => {
    const client = () =>
      new OpenAI({ baseURL: `${t.url}/adapters/openai/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });

    it('takes image_url, input_audio and file parts to the scripted provider unchanged', async () => {
      const r = await client().chat.completions.create({
        model: 'parts/scripted',
        messages: [{ role: 'user', content: providerParts as OpenAI.Chat.ChatCompletionContentPart[] }],
      });
      expect(r.choices[0]!.message.content).to.be.a('string');
      expect(userMessage(llm.requests[0]!).content).to.deep.equal(providerParts);
    });

    it('the development model says what it received, streamed', async () => {
      const stream = await client().chat.completions.create({
        model: 'parts/dev',
        stream: true,
        messages: [{ role: 'user', content: providerParts as OpenAI.Chat.ChatCompletionContentPart[] }],
      });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.delta.content ?? '';
      for (const d of described) expect(text).to.contain(d);
    });

    it('an oversized part is a 413 naming the message field', async () => {
      const r = await t.api('/adapters/openai/v1/chat/completions', {
        method: 'POST',
        json: {
          model: 'parts/dev',
          messages: [
            {
              role: 'user',
              content: [
                { type: 'input_audio', input_audio: { data: b64(randomBytes(MAX + 1)), format: 'wav' } },
              ],
            },
          ],
        },
      });
      expect(r.status).to.equal(413);
      expect((await r.json()).field).to.equal('messages.0.content.0.data');
    });
  });

  describe('collection files', () => {
    let aliceFile: string;
    before(async () => {
      const up = await t.api('/files/parts/docs', {
        method: 'POST',
        headers: alice,
        json: { name: 'secret.pdf', content_base64: b64(pdf), content_type: 'application/pdf' },
      });
      expect(up.status, await up.clone().text()).to.equal(201);
      aliceFile = (await up.json()).id as string;
    });

    it('the owner sends her file by id: the model receives its bytes', async () => {
      const chatId = await newChat('dev', alice);
      const r = await send(chatId, [{ type: 'file', file_id: aliceFile }], alice);
      expect(r.status, await r.clone().text()).to.equal(200);
      expect((await r.json()).content).to.contain(
        `(received file secret.pdf application/pdf 500 bytes sha256:${sha(pdf)})`,
      );
    });

    it("another user's private file is not found (404 naming the field)", async () => {
      const chatId = await newChat('dev', bob);
      const r = await send(
        chatId,
        [
          { type: 'text', text: 'hi' },
          { type: 'file', file_id: aliceFile },
        ],
        bob,
      );
      expect(r.status).to.equal(404);
      expect((await r.json()).field).to.equal('content.1.file_id');
    });
  });

  describe('boundaries', () => {
    for (const [name, part, field] of [
      ['a private-address image URL', { type: 'image', image: 'http://10.1.2.3/x.png' }, 'content.0.image'],
      [
        'a link-local audio URL',
        { type: 'audio', url: 'http://169.254.169.254/latest', format: 'mp3' },
        'content.0.url',
      ],
      [
        'a private-address file URL',
        { type: 'file', file_url: 'http://192.168.1.1/a.pdf' },
        'content.0.file_url',
      ],
    ] as const)
      it(`${name} is refused with a 400 naming the field`, async () => {
        const chatId = await newChat('dev');
        const r = await send(chatId, [part]);
        expect(r.status).to.equal(400);
        expect((await r.json()).field).to.equal(field);
      });

    it('oversized base64 is a 413 naming the field, and nothing is recorded', async () => {
      const chatId = await newChat('dev');
      const r = await send(chatId, [
        { type: 'text', text: 'big' },
        { type: 'file', file_data: b64(randomBytes(MAX + 1)), filename: 'big.bin' },
      ]);
      expect(r.status).to.equal(413);
      expect((await r.json()).field).to.equal('content.1.file_data');
      const events = await t.platform.services.eventStore.readStream(streams.chat(chatId));
      expect(events.map((e) => e.type)).not.to.include('UserMessagePosted');
    });

    it('a part missing its data, or invalid base64, is a 400 naming the field', async () => {
      const chatId = await newChat('dev');
      const missing = await send(chatId, [{ type: 'audio', format: 'wav' }]);
      expect(missing.status).to.equal(400);
      expect((await missing.json()).field).to.equal('content.0.data');
      const bad = await send(chatId, [{ type: 'audio', data: '@@@@', format: 'wav' }]);
      expect(bad.status).to.equal(400);
      expect((await bad.json()).field).to.equal('content.0.data');
    });
  });

  it('GET /chats, the timeline and the export show references; the owner reads the bytes back; a rebuild and a later turn still find them', async () => {
    const chatId = await newChat('scripted', alice);
    const first = await send(chatId, allParts, alice);
    expect(first.status, await first.clone().text()).to.equal(200);

    const chat = await (await t.api(`/chats/${chatId}`, { headers: alice })).json();
    const user = chat.messages.find((m: { role: string }) => m.role === 'user');
    expect(user.content).not.to.contain(b64(png));
    const views = JSON.parse(user.content as string) as {
      type: string;
      content_url?: string;
      sha256?: string;
    }[];
    expect(views.map((v) => v.type)).to.deep.equal(['text', 'image', 'audio', 'file']);
    expect(views[1]!.sha256).to.equal(sha(png));
    const bytes = await t.api(views[1]!.content_url!, { headers: alice });
    expect(bytes.status, await bytes.clone().text()).to.equal(200);
    expect(bytes.headers.get('content-type')).to.equal('image/png');
    expect(Buffer.from(await bytes.arrayBuffer()).equals(png)).to.equal(true);
    expect((await t.api(views[1]!.content_url!, { headers: bob })).status).to.equal(404);
    expect(
      (
        await t.api(views[0]!.content_url ?? `/chats/${chatId}/messages/${user.id}/parts/0`, {
          headers: alice,
        })
      ).status,
    ).to.equal(404);

    for (const text of [
      await (await t.api(`/chats/${chatId}/timeline`)).text(),
      await (await t.api(`/api/v1/audit/export?stream=chat-${chatId}`)).text(),
    ]) {
      expect(text).to.contain(sha(png));
      expect(text).not.to.contain(b64(png));
    }

    const { pool, eventStore, waiter } = t.platform.services;
    const projections = platformProjections().filter((p) => p.name === 'chats');
    expect(projections).to.have.length(1);
    expect(await settleProjections(pool, eventStore, waiter, projections, 30_000)).to.equal(true);
    for (const p of projections) {
      const before = await snapshot(pool, p.tables);
      await rebuildProjection(pool, eventStore, p);
      expect(await snapshot(pool, p.tables)).to.deep.equal(before);
    }

    llm.reset();
    expect((await send(chatId, 'and now?', alice)).status).to.equal(200);
    const history = llm.requests[0]!.messages as { role: string; content: unknown }[];
    expect(history.filter((m) => m.role === 'user').map((m) => m.content)).to.deep.equal([
      providerParts,
      'and now?',
    ]);
  });
});
