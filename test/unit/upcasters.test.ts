import { expect } from 'chai';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { categoryOf, idOf, streamName, streams } from '../../src/events/stream-names.js';
import { registerUpcaster, upcast } from '../../src/events/upcasters.js';

const recorded = (type: string, version: number, data: Record<string, unknown>): RecordedEvent => ({
  id: 'e1',
  type,
  data,
  metadata: { correlationId: 'c', causationId: 'c', actor: 'u', version },
  streamName: 's-1',
  revision: 0n,
  position: 1n,
  createdAt: new Date(0),
});

describe('upcasters', () => {
  registerUpcaster('TestRenamed', 1, (d) => ({ fullName: d.name }));
  registerUpcaster('TestRenamed', 2, (d) => ({ ...d, tags: [] }));

  it('chains from the stored version to the current one when read', () => {
    const e = upcast(recorded('TestRenamed', 1, { name: 'x' }));
    expect(e.data).to.deep.equal({ fullName: 'x', tags: [] });
    expect(e.metadata.version).to.equal(3);
  });

  it('leaves current and unknown events alone', () => {
    const current = recorded('TestRenamed', 3, { fullName: 'y', tags: ['a'] });
    expect(upcast(current)).to.equal(current);
    const other = recorded('Other', 1, { a: 1 });
    expect(upcast(other)).to.equal(other);
  });
});

describe('stream names', () => {
  it('puts the category before the first dash', () => {
    const s = streams.agent('support', 'ticket-agent');
    expect(s).to.equal('agent-support/ticket-agent');
    expect(categoryOf(s)).to.equal('agent');
    expect(idOf(s)).to.equal('support/ticket-agent');
  });

  it('refuses a category with a dash', () => {
    expect(() => streamName('bad-cat', 'x')).to.throw();
  });
});
