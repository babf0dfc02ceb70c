import { expect } from 'chai';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { toLazyRecorded } from '../../src/events/postgres/rows.js';
import { storedJson } from '../../src/events/stored-json.js';
import { durableFrame } from '../../src/runtime/chat-feed/chat-frames.js';

const METADATA = { correlationId: 'c', causationId: 'c', actor: 'u', version: 1 };

/** With stored text: as the Postgres adapter reads a page for a subscription (toLazyRecorded). */
function recorded(data: Record<string, unknown>, storedText?: string): RecordedEvent {
  const at = new Date(0);
  if (storedText !== undefined)
    return toLazyRecorded('chat-x', [
      '70',
      '7',
      '00000000-0000-4000-8000-000000000000',
      'UserMessagePosted',
      storedText,
      JSON.stringify(METADATA),
      '1970-01-01 00:00:00+00',
    ]);
  return {
    id: '00000000-0000-4000-8000-000000000000',
    type: 'UserMessagePosted',
    data,
    metadata: METADATA,
    streamName: 'chat-x',
    revision: 7n,
    position: 70n,
    createdAt: at,
  };
}

describe('durable SSE frames', () => {
  it('sends the stored JSON text as the same object the frame data is, type and revision first', () => {
    const data = { at: 'now', content: 'hi "there"', nested: { a: [1, 2] } };
    const f = durableFrame(
      recorded(data, '{"at": "now", "nested": {"a": [1, 2]}, "content": "hi \\"there\\""}'),
    );
    expect(f.json).to.be.a('string');
    expect(JSON.parse(f.json!)).to.deep.equal(f.data);
    expect(Object.keys(JSON.parse(f.json!)).slice(0, 2)).to.deep.equal(['type', 'revision']);
    expect(JSON.parse(durableFrame(recorded({}, '{}')).json!)).to.deep.equal({
      type: 'UserMessagePosted',
      revision: 7,
    });
  });

  it('serialises the data as usual when the event has a field named type or revision, or no stored text', () => {
    expect(durableFrame(recorded({ type: 'x' }, '{"type": "x"}')).json).to.equal(undefined);
    expect(durableFrame(recorded({ revision: 1 }, '{"revision": 1}')).json).to.equal(undefined);
    expect(durableFrame(recorded({ a: 1 })).json).to.equal(undefined);
    expect(durableFrame(recorded({ type: 'x' })).data).to.deep.equal({ type: 'x', revision: 7 });
  });
});

describe('events read with their stored JSON text (toLazyRecorded)', () => {
  it('parses data and metadata when read, keeps the text, and a copy carries no stale text', () => {
    const e = recorded({}, '{"content": "hi", "turnId": "t"}');
    expect(storedJson(e)).to.equal('{"content": "hi", "turnId": "t"}');
    expect(e.data).to.deep.equal({ content: 'hi', turnId: 't' });
    expect(e.data).to.equal(e.data); // parsed once
    expect(e.metadata).to.deep.equal(METADATA);
    expect([e.id, e.type, e.streamName, e.revision, e.position]).to.deep.equal([
      '00000000-0000-4000-8000-000000000000',
      'UserMessagePosted',
      'chat-x',
      7n,
      70n,
    ]);
    expect(e.createdAt.getTime()).to.equal(0);
    const copy: RecordedEvent = {
      ...e,
      data: { content: 'changed' },
      metadata: e.metadata,
      createdAt: e.createdAt,
    };
    expect(storedJson(copy)).to.equal(undefined);
    expect(durableFrame(copy).data).to.deep.equal({
      type: 'UserMessagePosted',
      revision: 7,
      content: 'changed',
    });
    expect(copy.createdAt).to.equal(e.createdAt);
  });
});
