/**
 * The API key aggregate: a key is created once (with a permission map no wider than its creator's
 * and an expiry in the future) and revoked at most once. A key the key store made without a record
 * here (the bootstrap key, keys issued by the runtime) may still be revoked: the record starts there.
 */
import { ForbiddenError, IllegalStateError, ValidationError } from '../../errors.js';
import type { ApiKeyCreatedData, ApiKeyEvent } from '../../events/api-key-events.js';
import type { Decider } from '../decider.js';
import { isSubset, parsePermission, type PermissionMap } from '../identity/permissions.js';

export type ApiKeyCommand =
  | ({
      readonly type: 'CreateApiKey';
      /** what the creator holds (a key may hold no more) */
      readonly held: PermissionMap;
    } & ApiKeyCreatedData)
  | { readonly type: 'RevokeApiKey'; readonly keyId: string; readonly at: string };

export type ApiKeyState =
  | { readonly status: 'absent' }
  | { readonly status: 'active' | 'revoked'; readonly keyId: string; readonly userId: string };

export const apiKeyDecider: Decider<ApiKeyCommand, ApiKeyEvent, ApiKeyState> = {
  initialState: { status: 'absent' },
  eventVersion: 1,
  decide(command, state) {
    switch (command.type) {
      case 'CreateApiKey':
        return decideCreate(command, state);
      case 'RevokeApiKey':
        return state.status === 'revoked'
          ? []
          : [{ type: 'ApiKeyRevoked', data: { keyId: command.keyId, at: command.at } }];
      default: {
        const unreachable: never = command;
        return unreachable;
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ApiKeyCreated':
        return { status: 'active', keyId: event.data.keyId, userId: event.data.userId };
      case 'ApiKeyRevoked':
        return state.status === 'absent'
          ? { status: 'revoked', keyId: event.data.keyId, userId: '' }
          : { ...state, status: 'revoked' };
      default: {
        const unreachable: never = event;
        return unreachable;
      }
    }
  },
};

function decideCreate(
  c: Extract<ApiKeyCommand, { type: 'CreateApiKey' }>,
  state: ApiKeyState,
): ApiKeyEvent[] {
  if (state.status !== 'absent') throw new IllegalStateError(`API key ${c.keyId} already exists`);
  if (c.expiresAt !== null && Date.parse(c.expiresAt) <= Date.parse(c.at))
    throw new ValidationError('expires_at: must be in the future', 'expires_at');
  if (c.permissions) {
    for (const k of Object.keys(c.permissions)) parsePermission(k, `permissions.${k}`);
    const { subset, uncovered } = isSubset(c.permissions, c.held);
    if (!subset)
      throw new ForbiddenError(
        `permissions: a key cannot hold what you do not: ${uncovered.join(', ')}`,
        'permissions',
      );
  }
  const { keyId, userId, name, permissions, expiresAt, at } = c;
  return [{ type: 'ApiKeyCreated', data: { keyId, userId, name, permissions, expiresAt, at } }];
}
