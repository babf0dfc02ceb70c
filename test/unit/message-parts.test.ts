/**
 * Content parts away from HTTP: the history gives a turn the parts a message was posted with (a
 * hook's rewrite replaces only the text), the resolver turns blob references into the provider's
 * content parts, the development model says what it received, and the read model's view of a part
 * names its bytes' route, never the bytes.
 */
import { createHash } from 'node:crypto';
import { expect } from 'chai';
import type { RecordedEvent } from '../../src/events/event-store.js';
import type { StoredPart } from '../../src/events/message-parts.js';
import { describe as describeEvent } from '../../src/cli/replay.js';
import { partViews } from '../../src/projections/message-part-views.js';
import type { BlobStore } from '../../src/runtime/files/blob-store.js';
import { devModelReply } from '../../src/runtime/llm/dev-model.js';
import { partResolver } from '../../src/runtime/parts/part-wire.js';
import { decodeData, parseDataUrl } from '../../src/runtime/parts/part-bytes.js';
import { messagesForTurn } from '../../src/runtime/turns/history.js';

const at = '2025-01-01T00:00:00.000Z';
const png = Buffer.from('not really a png');
const sha = createHash('sha256').update(png).digest('hex');
const parts: StoredPart[] = [
  { type: 'text', text: 'what is this?' },
  {
    type: 'image',
    source: { kind: 'inline', key: 'k1', sha256: sha, size: png.length, mime_type: 'image/png' },
  },
  { type: 'image', source: { kind: 'url', url: 'https://93.184.216.34/a.png' }, detail: 'high' },
];

const recorded = (type: string, data: object, revision: number): RecordedEvent =>
  ({
    type,
    data,
    streamName: 'chat-c',
    revision: BigInt(revision),
    position: BigInt(revision),
    metadata: {},
  }) as unknown as RecordedEvent;

const memoryBlobs = (blobs: Record<string, Buffer>): BlobStore => ({
  put: () => Promise.resolve(),
  delete: () => Promise.resolve(),
  async *get(key) {
    if (blobs[key]) yield blobs[key];
  },
});

describe('content parts', () => {
  const events = [
    recorded(
      'ChatCreated',
      {
        chatId: 'c',
        userId: 'u',
        agent: { namespace: 'n', name: 'a', id: 'a' },
        agentVersion: 1,
        title: 't',
        input: {},
        sessionKey: null,
        expiresAt: null,
        initialMessages: [],
        at,
      },
      0,
    ),
    recorded('UserMessagePosted', { messageId: 'm', turnId: 't1', content: 'what is this?', parts, at }, 1),
  ];

  it('the history gives the turn the message with its parts; a rewrite replaces only the text', () => {
    const [user] = messagesForTurn(events, 't1', { systemPrompt: null, input: {} });
    expect(user).to.deep.equal({ role: 'user', content: 'what is this?', parts });
    const rewritten = [
      ...events,
      recorded('UserMessageRewritten', { turnId: 't1', messageId: 'm', content: 'shorter', by: 'h', at }, 2),
    ];
    const [again] = messagesForTurn(rewritten, 't1', { systemPrompt: null, input: {} });
    expect(again!.parts!.map((p) => p.type)).to.deep.equal(['text', 'image', 'image']);
    expect(again!.parts![0]).to.deep.equal({ type: 'text', text: 'shorter' });
  });

  it('the resolver sends blobs as data URLs and URLs as given; a gone blob becomes a note', async () => {
    const messages = messagesForTurn(events, 't1', { systemPrompt: null, input: {} });
    const [user] = await partResolver(memoryBlobs({ k1: png }))(messages);
    expect(user).to.deep.equal({
      role: 'user',
      content: [
        { type: 'text', text: 'what is this?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
        { type: 'image_url', image_url: { url: 'https://93.184.216.34/a.png', detail: 'high' } },
      ],
    });
    const [gone] = await partResolver(memoryBlobs({}))(messages);
    expect((gone!.content as readonly { text?: string }[])[1]!.text).to.match(/no longer available/);
  });

  it('the development model says what it received', () => {
    const reply = devModelReply({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'look' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${png.toString('base64')}` } },
            { type: 'input_audio', input_audio: { data: png.toString('base64'), format: 'mp3' } },
            {
              type: 'file',
              file: { file_data: `data:text/plain;base64,${png.toString('base64')}`, filename: 'a.txt' },
            },
            { type: 'image_url', image_url: { url: 'https://93.184.216.34/a.png' } },
          ],
        },
      ],
    });
    const n = png.length;
    expect(reply).to.deep.equal({
      kind: 'text',
      text:
        `[sinas-dev-model] Echo: look (received image image/png ${n} bytes sha256:${sha}) ` +
        `(received audio mp3 ${n} bytes sha256:${sha}) (received file a.txt text/plain ${n} bytes sha256:${sha}) ` +
        '(received image https://93.184.216.34/a.png)',
    });
  });

  it("the read model's view names each part's bytes route, never the bytes", () => {
    expect(partViews(parts, 'c', 'm')).to.deep.equal([
      { type: 'text', text: 'what is this?' },
      {
        type: 'image',
        mime_type: 'image/png',
        size_bytes: png.length,
        sha256: sha,
        content_url: '/chats/c/messages/m/parts/1',
      },
      { type: 'image', url: 'https://93.184.216.34/a.png', detail: 'high' },
    ]);
  });

  it('`sinas replay` notes each part of a message on its line', () => {
    expect(describeEvent(events[1]!)[2]).to.equal(
      `user: what is this? [+ image image/png ${png.length} bytes] [+ image https://93.184.216.34/a.png]`,
    );
  });

  it('a data URL and base64 are read strictly, and an oversized one is refused before decoding', () => {
    expect(parseDataUrl('data:image/png;base64,QUJD', 'f')).to.deep.equal({
      mimeType: 'image/png',
      data: 'QUJD',
    });
    expect(() => parseDataUrl('data:image/png,ABC', 'f')).to.throw(/not a base64 data URL/);
    expect(decodeData('QUJD', 'f', 3).toString()).to.equal('ABC');
    expect(() => decodeData('QUJDRA==', 'f', 3)).to.throw(/larger than a part may be/);
    expect(() => decodeData('Q$JD', 'f', 3)).to.throw(/not valid base64/);
  });
});
