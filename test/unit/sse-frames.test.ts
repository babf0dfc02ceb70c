import { expect } from 'chai';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { rememberStoredJson } from '../../src/events/stored-json.js';
import { durableFrame } from '../../src/http/chat-stream.js';

function recorded(data: Record<string, unknown>, storedText?: string): RecordedEvent {
  const e: RecordedEvent = {
    id: '00000000-0000-4000-8000-000000000000',
    type: 'UserMessagePosted',
    data,
    metadata: { correlationId: 'c', causationId: 'c', actor: 'u', version: 1 },
    streamName: 'chat-x',
    revision: 7n,
    position: 70n,
    createdAt: new Date(0),
  };
  if (storedText !== undefined) rememberStoredJson(e, storedText);
  return e;
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
