/** The Secret kind's decider (the kit's, with the kind's layout, ownership and sealing invariant). */
import { secretKind } from '../../src/commands/secret/secret-kind.js';
import {
  resourceDecider,
  StaleIncarnationError,
  type ResourceCommand,
} from '../../src/commands/resource/decider.js';
import { AlreadyExistsError, ForbiddenError, NotFoundError, ValidationError } from '../../src/errors.js';
import type { ResourceEvent } from '../../src/events/resources/resource-events.js';
import type { SealedValue, SecretEvent } from '../../src/events/secret-events.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(resourceDecider(secretKind));
const at = '2026-01-01T00:00:00.000Z';
const sealed = (kid: string, ct = 'c1'): SealedValue => ({ alg: 'A256GCM', kid, iv: 'iv', tag: 'tag', ct });
const owner = { userId: 'alice', isAdmin: false };
const other = { userId: 'bob', isAdmin: false };
const admin = { userId: 'root', isAdmin: true };
/** the stored shapes, exactly as the secret events have always been recorded */
const ev = (e: SecretEvent) => e as unknown as ResourceEvent;

const createdShared = ev({
  type: 'SecretCreated',
  data: {
    secretId: 's1',
    name: 'TOKEN',
    visibility: 'shared',
    ownerId: 'alice',
    description: null,
    value: sealed('s1'),
    at,
  },
});
const createdPrivate = ev({
  type: 'SecretCreated',
  data: { ...(createdShared.data as SecretEvent['data'] & object), visibility: 'private' },
} as SecretEvent);
const deleted = ev({ type: 'SecretDeleted', data: { secretId: 's1', at } });
const create: ResourceCommand = {
  type: 'Create',
  id: 's1',
  namespace: 'shared',
  name: 'TOKEN',
  ownerId: 'alice',
  spec: { value: sealed('s1'), description: null },
  at,
};
const update = (by = owner, extra: Partial<Extract<ResourceCommand, { type: 'Update' }>> = {}) =>
  ({
    type: 'Update',
    incarnation: 's1',
    patch: { value: sealed('s1', 'c2') },
    by,
    at,
    ...extra,
  }) as ResourceCommand;
const remove = (by = owner): ResourceCommand => ({ type: 'Delete', incarnation: 's1', by, at });

describe('secret decider (the kit decider of the Secret kind)', () => {
  it('creates a secret owned by its creator, in the stored shape', () =>
    given([]).when(create).then([createdShared]));

  it('refuses to create one that exists', () =>
    given([createdShared]).when(create).thenThrows(AlreadyExistsError));

  it('refuses a value sealed under another key than the secret’s own', () =>
    given([])
      .when({ ...create, spec: { value: sealed('someone-else') } } as ResourceCommand)
      .thenThrows(ValidationError, /data key/));

  it('lets the owner and an administrator change a shared secret, and nobody else', () => {
    const updated = [
      ev({
        type: 'SecretUpdated',
        data: { secretId: 's1', changes: { value: sealed('s1', 'c2') }, changed: ['value'], at },
      }),
    ];
    given([createdShared]).when(update()).then(updated);
    given([createdShared]).when(update(admin)).then(updated);
    given([createdShared]).when(update(other)).thenThrows(ForbiddenError);
    given([createdShared]).when(remove(other)).thenThrows(ForbiddenError);
  });

  it('hides a private secret from everyone but its owner, administrators included', () => {
    given([createdPrivate]).when(update(other)).thenThrows(NotFoundError);
    given([createdPrivate]).when(update(admin)).thenThrows(NotFoundError);
  });

  it('records only a description that changed, and nothing for no change', () => {
    given([createdShared])
      .when(update(owner, { patch: { description: null } }))
      .then([]);
    given([createdShared])
      .when(update(owner, { patch: { description: 'd' } }))
      .then([
        ev({
          type: 'SecretUpdated',
          data: { secretId: 's1', changes: { description: 'd' }, changed: ['description'], at },
        }),
      ]);
  });

  it('refuses a command prepared for an earlier incarnation of the secret', () => {
    const recreated = ev({
      type: 'SecretCreated',
      data: { ...(createdShared.data as SecretEvent['data'] & object), secretId: 's2', value: sealed('s2') },
    } as SecretEvent);
    given([createdShared, deleted, recreated]).when(update()).thenThrows(StaleIncarnationError);
  });

  it('deletes a live secret once, and allows creating it again afterwards', () => {
    given([createdShared]).when(remove()).then([deleted]);
    given([createdShared, deleted]).when(remove()).thenThrows(NotFoundError);
    given([createdShared, deleted]).when(create).then([createdShared]);
  });
});
