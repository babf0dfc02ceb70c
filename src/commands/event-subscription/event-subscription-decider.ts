/**
 * The event subscription decider. Pure: the sealed secret, ids and time arrive on the command. Only
 * the owner changes a subscription (administrators too); to anyone else it does not exist.
 */
import { AlreadyExistsError, NotFoundError, ValidationError } from '../../errors.js';
import type {
  EventSubscriptionCreatedData,
  EventSubscriptionEvent,
  SubscriptionFields,
} from '../../events/event-subscription-events.js';
import type { Decider } from '../decider.js';

export interface Caller {
  readonly userId: string;
  readonly isAdmin: boolean;
}

export type EventSubscriptionCommand =
  | ({ readonly type: 'CreateEventSubscription' } & Omit<EventSubscriptionCreatedData, 'ownerId'> & {
        readonly by: Caller;
      })
  | {
      readonly type: 'UpdateEventSubscription';
      readonly patch: Partial<SubscriptionFields>;
      readonly by: Caller;
      readonly at: string;
    }
  | { readonly type: 'DeleteEventSubscription'; readonly by: Caller; readonly at: string };

export type EventSubscriptionState =
  | { readonly status: 'absent' }
  | ({ readonly status: 'active' } & Omit<EventSubscriptionCreatedData, 'at'> & {
        readonly createdAt: string;
        readonly updatedAt: string;
      })
  | { readonly status: 'deleted' };

type Live = Extract<EventSubscriptionState, { status: 'active' }>;

export const eventSubscriptionDecider: Decider<
  EventSubscriptionCommand,
  EventSubscriptionEvent,
  EventSubscriptionState
> = {
  initialState: { status: 'absent' },
  decide(c, s): readonly EventSubscriptionEvent[] {
    switch (c.type) {
      case 'CreateEventSubscription': {
        if (s.status !== 'absent') throw new AlreadyExistsError('the subscription already exists', 'id');
        const { type: _t, by, ...rest } = c;
        return [{ type: 'EventSubscriptionCreated', data: { ...rest, ownerId: by.userId } }];
      }
      case 'UpdateEventSubscription': {
        const live = mayChange(s, c.by);
        const changed = (Object.keys(c.patch) as (keyof SubscriptionFields)[]).filter(
          (k) => c.patch[k] !== undefined && JSON.stringify(c.patch[k]) !== JSON.stringify(live[k]),
        );
        if (changed.length === 0) return [];
        const changes = Object.fromEntries(
          changed.map((k) => [k, c.patch[k]]),
        ) as Partial<SubscriptionFields>;
        return [
          {
            type: 'EventSubscriptionUpdated',
            data: { subscriptionId: live.subscriptionId, changes, changed, at: c.at },
          },
        ];
      }
      case 'DeleteEventSubscription': {
        const live = mayChange(s, c.by);
        return [
          { type: 'EventSubscriptionDeleted', data: { subscriptionId: live.subscriptionId, at: c.at } },
        ];
      }
      default: {
        const unreachable: never = c;
        throw new ValidationError(`unknown command ${JSON.stringify(unreachable)}`);
      }
    }
  },
  evolve(s, e): EventSubscriptionState {
    switch (e.type) {
      case 'EventSubscriptionCreated': {
        const { at, ...d } = e.data;
        return { status: 'active', ...d, createdAt: at, updatedAt: at };
      }
      case 'EventSubscriptionUpdated':
        return s.status === 'active' ? { ...s, ...e.data.changes, updatedAt: e.data.at } : s;
      case 'EventSubscriptionDeleted':
        return { status: 'deleted' };
      default: {
        const unreachable: never = e;
        return unreachable;
      }
    }
  },
};

function mayChange(s: EventSubscriptionState, by: Caller): Live {
  if (s.status !== 'active' || (s.ownerId !== by.userId && !by.isAdmin))
    throw new NotFoundError('event subscription not found', 'id');
  return s;
}
