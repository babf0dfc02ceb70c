/** The event subscription decider: create, change only what changed, owner or administrator only. */
import { eventSubscriptionDecider } from '../../src/commands/event-subscription/event-subscription-decider.js';
import { AlreadyExistsError, NotFoundError } from '../../src/errors.js';
import type { EventSubscriptionEvent } from '../../src/events/event-subscription-events.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(eventSubscriptionDecider);
const at = '2026-01-01T00:00:00.000Z';
const owner = { userId: 'alice', isAdmin: false };
const other = { userId: 'bob', isAdmin: false };
const admin = { userId: 'root', isAdmin: true };
const secret = { alg: 'A256GCM', kid: 'k', iv: 'iv', tag: 't', ct: 'c' } as const;
const fields = {
  url: 'https://example.com/h',
  eventTypes: [],
  categories: ['chat'],
  description: null,
  active: true,
};
const created: EventSubscriptionEvent = {
  type: 'EventSubscriptionCreated',
  data: { subscriptionId: 's1', ownerId: 'alice', scope: 'own', secret, ...fields, at },
};

describe('event subscription decider', () => {
  it('creates a subscription owned by its creator', () =>
    given([])
      .when({
        type: 'CreateEventSubscription',
        subscriptionId: 's1',
        scope: 'own',
        secret,
        ...fields,
        by: owner,
        at,
      })
      .then([created]));

  it('refuses to create it twice', () =>
    given([created])
      .when({
        type: 'CreateEventSubscription',
        subscriptionId: 's1',
        scope: 'own',
        secret,
        ...fields,
        by: owner,
        at,
      })
      .thenThrows(AlreadyExistsError));

  it('records only the fields that change', () =>
    given([created])
      .when({
        type: 'UpdateEventSubscription',
        patch: { active: false, categories: ['chat'] },
        by: owner,
        at,
      })
      .then([
        {
          type: 'EventSubscriptionUpdated',
          data: { subscriptionId: 's1', changes: { active: false }, changed: ['active'], at },
        },
      ]));

  it('is a no-op when nothing changes', () =>
    given([created])
      .when({ type: 'UpdateEventSubscription', patch: { url: fields.url }, by: owner, at })
      .then([]));

  it("hides another user's subscription; an administrator may change it", () => {
    given([created]).when({ type: 'DeleteEventSubscription', by: other, at }).thenThrows(NotFoundError);
    given([created])
      .when({ type: 'DeleteEventSubscription', by: admin, at })
      .then([{ type: 'EventSubscriptionDeleted', data: { subscriptionId: 's1', at } }]);
  });

  it('a deleted subscription is gone', () =>
    given([created, { type: 'EventSubscriptionDeleted', data: { subscriptionId: 's1', at } }])
      .when({ type: 'UpdateEventSubscription', patch: { active: false }, by: owner, at })
      .thenThrows(NotFoundError));
});
