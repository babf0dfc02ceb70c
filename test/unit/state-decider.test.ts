/** The state decider: given a state's events, when a command, then its events or the refusal. */
import { stateDecider, type StateCommand } from '../../src/commands/state/state-decider.js';
import type { StateEvent, StateFields } from '../../src/events/state-events.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(stateDecider);
const fields = (value: unknown): StateFields => ({
  stateId: 's1',
  storeId: 'store-1',
  storeNamespace: 'team',
  storeName: 'notes',
  userId: 'u1',
  key: 'k',
  value,
  sealed: null,
  visibility: 'private',
  description: null,
  tags: [],
  relevanceScore: 1,
  expiresAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});
const saved = (value: unknown): StateEvent => ({ type: 'StateSaved', data: fields(value) });
const cmd = (type: Exclude<StateCommand['type'], 'DeleteState'>, value: unknown): StateCommand => ({
  type,
  state: fields(value),
});
const deleted: StateEvent = {
  type: 'StateDeleted',
  data: { stateId: 's1', storeId: 'store-1', userId: 'u1', key: 'k' },
};

describe('state decider', () => {
  it('creates a new key', () =>
    given([])
      .when(cmd('CreateState', 1))
      .then([saved(1)]));
  it('refuses to create a key the user has, naming key', () =>
    given([saved(1)])
      .when(cmd('CreateState', 2))
      .thenRefuses('validation_failed', 'key'));
  it('creates a key again after its delete', () =>
    given([saved(1), deleted])
      .when(cmd('CreateState', 2))
      .then([saved(2)]));
  it('saves over a key or a new one (the tools’ upsert)', () => {
    given([])
      .when(cmd('SaveState', 1))
      .then([saved(1)]);
    given([saved(1)])
      .when(cmd('SaveState', 2))
      .then([saved(2)]);
  });
  it('updates only a live state', () => {
    given([saved(1)])
      .when(cmd('UpdateState', 2))
      .then([saved(2)]);
    given([]).when(cmd('UpdateState', 2)).thenRefuses('not_found');
    given([saved(1), deleted])
      .when(cmd('UpdateState', 2))
      .thenRefuses('not_found');
  });
  it('deletes a live state, naming its incarnation', () => {
    given([saved(1)])
      .when({ type: 'DeleteState' })
      .then([deleted]);
    given([saved(1), deleted])
      .when({ type: 'DeleteState' })
      .thenRefuses('not_found');
  });
});
