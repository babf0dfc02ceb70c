/** The event subscription decider (the kit's): create, change only what changed, owner or administrator only. */
import { eventSubscriptionKind } from '../../src/commands/event-subscription/event-subscription-kind.js';
import { resourceDecider, type ResourceCommand } from '../../src/commands/resource/decider.js';
import { AlreadyExistsError, NotFoundError } from '../../src/errors.js';
import type { EventSubscriptionEvent } from '../../src/events/event-subscription-events.js';
import type { ResourceEvent } from '../../src/events/resources/resource-events.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(resourceDecider(eventSubscriptionKind));
const at = '2026-01-01T00:00:00.000Z';
const owner = { userId: 'alice', isAdmin: false };
const other = { userId: 'bob', isAdmin: false };
const admin = { userId: 'root', isAdmin: true };
const secret = { alg: 'A256GCM', kid: 'k', iv: 'iv', tag: 't', ct: 'c' } as const;
const ev = (e: EventSubscriptionEvent) => e as unknown as ResourceEvent;
/** the stored shape keeps its camelCase `eventTypes` */
const fields = {
  url: 'https://example.com/h',
  eventTypes: [],
  categories: ['chat'],
  description: null,
  active: true,
};
const created = ev({
  type: 'EventSubscriptionCreated',
  data: { subscriptionId: 's1', ownerId: 'alice', scope: 'own', secret, ...fields, at },
});
const create: ResourceCommand = {
  type: 'Create',
  id: 's1',
  namespace: 'default',
  name: 's1',
  ownerId: 'alice',
  spec: {
    url: fields.url,
    event_types: [],
    categories: ['chat'],
    description: null,
    active: true,
    scope: 'own',
    secret,
  },
  at,
};
const deleted = ev({ type: 'EventSubscriptionDeleted', data: { subscriptionId: 's1', at } });

describe('event subscription decider (the kit decider of the EventSubscription kind)', () => {
  it('creates a subscription owned by its creator, in the stored shape', () =>
    given([]).when(create).then([created]));

  it('refuses to create it twice', () => given([created]).when(create).thenThrows(AlreadyExistsError));

  it('records only the fields that change, under their stored names', () =>
    given([created])
      .when({
        type: 'Update',
        patch: { active: false, categories: ['chat'], event_types: ['ChatCreated'] },
        by: owner,
        at,
      })
      .then([
        ev({
          type: 'EventSubscriptionUpdated',
          data: {
            subscriptionId: 's1',
            changes: { active: false, eventTypes: ['ChatCreated'] },
            changed: ['active', 'eventTypes'],
            at,
          },
        }),
      ]));

  it('is a no-op when nothing changes', () =>
    given([created])
      .when({ type: 'Update', patch: { url: fields.url }, by: owner, at })
      .then([]));

  it("hides another user's subscription; an administrator may change it", () => {
    given([created]).when({ type: 'Delete', by: other, at }).thenThrows(NotFoundError);
    given([created]).when({ type: 'Delete', by: admin, at }).then([deleted]);
  });

  it('a deleted subscription is gone', () =>
    given([created, deleted])
      .when({ type: 'Update', patch: { active: false }, by: owner, at })
      .thenThrows(NotFoundError));
});
