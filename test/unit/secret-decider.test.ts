import {
  secretDecider,
  StaleSecretError,
  type SecretCommand,
} from '../../src/commands/secret/secret-decider.js';
import { AlreadyExistsError, ForbiddenError, NotFoundError, ValidationError } from '../../src/errors.js';
import type { SealedValue, SecretEvent } from '../../src/events/secret-events.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(secretDecider);
const at = '2026-01-01T00:00:00.000Z';
const sealed = (kid: string, ct = 'c1'): SealedValue => ({ alg: 'A256GCM', kid, iv: 'iv', tag: 'tag', ct });
const owner = { userId: 'alice', isAdmin: false };
const other = { userId: 'bob', isAdmin: false };
const admin = { userId: 'root', isAdmin: true };

const createdShared: SecretEvent = {
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
};
const createdPrivate: SecretEvent = {
  ...createdShared,
  data: { ...createdShared.data, visibility: 'private' },
} as SecretEvent;
const deleted: SecretEvent = { type: 'SecretDeleted', data: { secretId: 's1', at } };
const create: SecretCommand = {
  type: 'CreateSecret',
  secretId: 's1',
  name: 'TOKEN',
  visibility: 'shared',
  description: null,
  value: sealed('s1'),
  by: owner,
  at,
};
const update = (by = owner, extra: Partial<Extract<SecretCommand, { type: 'UpdateSecret' }>> = {}) =>
  ({ type: 'UpdateSecret', secretId: 's1', value: sealed('s1', 'c2'), by, at, ...extra }) as SecretCommand;

describe('secret decider', () => {
  it('creates a secret owned by its creator', () => given([]).when(create).then([createdShared]));

  it('refuses to create one that exists', () =>
    given([createdShared]).when(create).thenThrows(AlreadyExistsError));

  it('refuses a value sealed under another key than the secret’s own', () =>
    given([])
      .when({ ...create, value: sealed('someone-else') } as SecretCommand)
      .thenThrows(ValidationError, /data key/));

  it('lets the owner and an administrator change a shared secret, and nobody else', () => {
    const updated: SecretEvent[] = [
      {
        type: 'SecretUpdated',
        data: { secretId: 's1', changes: { value: sealed('s1', 'c2') }, changed: ['value'], at },
      },
    ];
    given([createdShared]).when(update()).then(updated);
    given([createdShared]).when(update(admin)).then(updated);
    given([createdShared]).when(update(other)).thenThrows(ForbiddenError);
    given([createdShared])
      .when({ type: 'DeleteSecret', secretId: 's1', by: other, at })
      .thenThrows(ForbiddenError);
  });

  it('hides a private secret from everyone but its owner, administrators included', () => {
    given([createdPrivate]).when(update(other)).thenThrows(NotFoundError);
    given([createdPrivate]).when(update(admin)).thenThrows(NotFoundError);
  });

  it('records only a description that changed, and nothing for no change', () => {
    given([createdShared])
      .when({ type: 'UpdateSecret', secretId: 's1', description: null, by: owner, at })
      .then([]);
    given([createdShared])
      .when({ type: 'UpdateSecret', secretId: 's1', description: 'd', by: owner, at })
      .then([
        {
          type: 'SecretUpdated',
          data: { secretId: 's1', changes: { description: 'd' }, changed: ['description'], at },
        },
      ]);
  });

  it('refuses a command prepared for an earlier incarnation of the secret', () => {
    const recreated: SecretEvent = {
      ...createdShared,
      data: { ...createdShared.data, secretId: 's2', value: sealed('s2') },
    } as SecretEvent;
    given([createdShared, deleted, recreated]).when(update()).thenThrows(StaleSecretError);
  });

  it('deletes a live secret once, and allows creating it again afterwards', () => {
    given([createdShared]).when({ type: 'DeleteSecret', secretId: 's1', by: owner, at }).then([deleted]);
    given([createdShared, deleted])
      .when({ type: 'DeleteSecret', secretId: 's1', by: owner, at })
      .thenThrows(NotFoundError);
    given([createdShared, deleted]).when(create).then([createdShared]);
  });
});
