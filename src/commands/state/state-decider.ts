/**
 * The state decider (reference §5.7): one state per (store, user, key) stream. A create refuses a
 * key the user already has (400 naming `key`); a save writes whether or not it exists (the tools'
 * upsert); an update and a delete need a live state. Every write is one `StateSaved` holding the
 * whole state, so the stream is the state's history; the service seals values before they come here.
 */
import { NotFoundError, ValidationError } from '../../errors.js';
import type { StateEvent, StateFields } from '../../events/state-events.js';
import type { Decider } from '../decider.js';

export type StateCommand =
  | { readonly type: 'CreateState'; readonly state: StateFields }
  | { readonly type: 'SaveState'; readonly state: StateFields }
  | { readonly type: 'UpdateState'; readonly state: StateFields }
  | { readonly type: 'DeleteState' };

export type StateState =
  { readonly status: 'absent' } | { readonly status: 'live'; readonly state: StateFields };

const saved = (state: StateFields): StateEvent[] => [{ type: 'StateSaved', data: state }];

function mustBeLive(s: StateState): asserts s is Extract<StateState, { status: 'live' }> {
  if (s.status !== 'live') throw new NotFoundError('State not found');
}

export const stateDecider: Decider<StateCommand, StateEvent, StateState> = {
  initialState: { status: 'absent' },
  decide(c, s) {
    switch (c.type) {
      case 'CreateState':
        if (s.status === 'live')
          throw new ValidationError(`key: the state '${c.state.key}' already exists in this store`, 'key');
        return saved(c.state);
      case 'SaveState':
        return saved(c.state);
      case 'UpdateState':
        mustBeLive(s);
        return saved(c.state);
      case 'DeleteState': {
        mustBeLive(s);
        const { stateId, storeId, userId, key } = s.state;
        return [{ type: 'StateDeleted', data: { stateId, storeId, userId, key } }];
      }
      default: {
        const unreachable: never = c;
        throw new Error(`unknown command ${JSON.stringify(unreachable)}`);
      }
    }
  },
  evolve(_s, e) {
    switch (e.type) {
      case 'StateSaved':
        return { status: 'live', state: e.data };
      case 'StateDeleted':
        return { status: 'absent' };
      default: {
        const unreachable: never = e;
        throw new Error(`unknown event ${JSON.stringify(unreachable)}`);
      }
    }
  },
};
