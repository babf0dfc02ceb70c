/**
 * The secret decider (reference §5.1, DESIGN §9). Pure: the value arrives already sealed under the
 * data key of the incarnation the caller saw (`secretId`); a command sealed for another incarnation
 * (the secret was deleted and created again meanwhile) is refused, so a stream never holds
 * ciphertext its current key cannot open. Only the owner or an administrator changes a shared
 * secret; a private one exists only for its owner.
 */
import {
  AlreadyExistsError,
  ForbiddenError,
  IllegalStateError,
  NotFoundError,
  ValidationError,
} from '../../errors.js';
import type { SealedValue, SecretEvent, SecretVisibility } from '../../events/secret-events.js';
import type { Decider } from '../decider.js';

export interface Caller {
  readonly userId: string;
  readonly isAdmin: boolean;
}

export type SecretCommand =
  | {
      readonly type: 'CreateSecret';
      readonly secretId: string;
      readonly name: string;
      readonly visibility: SecretVisibility;
      readonly description: string | null;
      readonly value: SealedValue;
      readonly by: Caller;
      readonly at: string;
    }
  | {
      readonly type: 'UpdateSecret';
      readonly secretId: string;
      readonly value?: SealedValue;
      readonly description?: string | null;
      readonly by: Caller;
      readonly at: string;
    }
  | { readonly type: 'DeleteSecret'; readonly secretId: string; readonly by: Caller; readonly at: string };

export interface SecretData {
  readonly secretId: string;
  readonly name: string;
  readonly visibility: SecretVisibility;
  readonly ownerId: string;
  readonly description: string | null;
  readonly value: SealedValue;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type SecretState =
  | { readonly status: 'absent' }
  | ({ readonly status: 'active' } & SecretData)
  | { readonly status: 'deleted'; readonly secretId: string };

/** thrown when the command was prepared for an incarnation that is no longer current: reload, retry */
export class StaleSecretError extends IllegalStateError {}

export const secretDecider: Decider<SecretCommand, SecretEvent, SecretState> = {
  initialState: { status: 'absent' },
  decide(c, s): readonly SecretEvent[] {
    switch (c.type) {
      case 'CreateSecret': {
        if (s.status === 'active') throw new AlreadyExistsError(`secret '${c.name}' already exists`, 'name');
        if (c.value.kid !== c.secretId)
          throw new ValidationError('the value is not sealed under this secret’s data key', 'value');
        const { secretId, name, visibility, description, value, at } = c;
        return [
          {
            type: 'SecretCreated',
            data: { secretId, name, visibility, ownerId: c.by.userId, description, value, at },
          },
        ];
      }
      case 'UpdateSecret': {
        const live = mayChange(s, c);
        if (c.value !== undefined && c.value.kid !== live.secretId)
          throw new ValidationError('the value is not sealed under this secret’s data key', 'value');
        const changes = {
          ...(c.value !== undefined ? { value: c.value } : {}),
          ...(c.description !== undefined && c.description !== live.description
            ? { description: c.description }
            : {}),
        };
        const changed = Object.keys(changes) as ('value' | 'description')[];
        if (changed.length === 0) return [];
        return [{ type: 'SecretUpdated', data: { secretId: live.secretId, changes, changed, at: c.at } }];
      }
      case 'DeleteSecret': {
        const live = mayChange(s, c);
        return [{ type: 'SecretDeleted', data: { secretId: live.secretId, at: c.at } }];
      }
      default: {
        const unreachable: never = c;
        throw new ValidationError(`unknown command ${JSON.stringify(unreachable)}`);
      }
    }
  },
  evolve(s, e): SecretState {
    switch (e.type) {
      case 'SecretCreated': {
        const { at, ...d } = e.data;
        return { status: 'active', ...d, createdAt: at, updatedAt: at };
      }
      case 'SecretUpdated':
        return s.status === 'active' ? { ...s, ...e.data.changes, updatedAt: e.data.at } : s;
      case 'SecretDeleted':
        return { status: 'deleted', secretId: e.data.secretId };
      default: {
        const unreachable: never = e;
        return unreachable;
      }
    }
  },
};

function mayChange(
  s: SecretState,
  c: { readonly secretId: string; readonly by: Caller },
): Extract<SecretState, { status: 'active' }> {
  if (s.status !== 'active') throw new NotFoundError('secret not found');
  if (s.secretId !== c.secretId) throw new StaleSecretError('the secret was replaced while this request ran');
  if (s.visibility === 'private' && s.ownerId !== c.by.userId) throw new NotFoundError('secret not found');
  if (s.visibility === 'shared' && s.ownerId !== c.by.userId && !c.by.isAdmin)
    throw new ForbiddenError('only the owner of a shared secret or an administrator may change it', 'name');
  return s;
}
