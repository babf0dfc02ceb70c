import { expect } from 'chai';
import { ValidationError } from '../../src/errors.js';
import type { RecordedEvent } from '../../src/events/event-store.js';
import { upcast } from '../../src/events/upcasters.js';
import { checkedVersion, revisionOfVersion, versionOfRevision } from '../../src/events/versions.js';

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

describe('versions', () => {
  it('count from 1: version = stream revision + 1, and back', () => {
    expect(versionOfRevision(0n)).to.equal(1);
    expect(versionOfRevision(41)).to.equal(42);
    expect(versionOfRevision(undefined)).to.equal(0); // no event yet
    expect(revisionOfVersion(1)).to.equal(0n);
    expect(revisionOfVersion(versionOfRevision(7n))).to.equal(7n);
  });

  it('refuses a version a client names below 1, naming the field', () => {
    expect(checkedVersion(1)).to.equal(1);
    for (const bad of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 2]) {
      expect(() => checkedVersion(bad, 'If-Match'))
        .to.throw(ValidationError)
        .with.property('field', 'If-Match');
    }
  });

  it('reads the agent version of schema-1 chat events as a version (their revision + 1)', () => {
    for (const type of ['ChatCreated', 'TurnStarted', 'AssistantMessageCompleted']) {
      const e = upcast(recorded(type, 1, { agentVersion: 0, turnId: 't' }));
      expect(e.data).to.deep.equal({ agentVersion: 1, turnId: 't' });
      expect(e.metadata.version).to.equal(2);
    }
  });

  it('reads the function version of a schema-1 ExecutionRequested as a version', () => {
    const fn = { namespace: 'ns', name: 'f', id: 'f1', version: 2 };
    const e = upcast(recorded('ExecutionRequested', 1, { executionId: 'x', function: fn }));
    expect(e.data).to.deep.equal({ executionId: 'x', function: { ...fn, version: 3 } });
  });

  it('leaves events written since (schema 2) and other events alone', () => {
    const now = recorded('ChatCreated', 2, { agentVersion: 1 });
    expect(upcast(now)).to.equal(now);
    const other = recorded('UserMessagePosted', 1, { content: 'hi' });
    expect(upcast(other)).to.equal(other);
  });
});
