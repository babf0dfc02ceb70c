import { ForbiddenError, IllegalStateError, ValidationError } from '../../src/errors.js';
import { apiKeyDecider, type ApiKeyCommand } from '../../src/commands/api-key/api-key-decider.js';
import type { ApiKeyEvent } from '../../src/events/api-key-events.js';
import { deciderSpec } from '../support/decider-spec.js';

const given = deciderSpec(apiKeyDecider);
const at = '2026-01-01T00:00:00.000Z';
const data = { keyId: 'k1', userId: 'u1', name: 'ci', permissions: null, expiresAt: null, at };
const create = (o: Partial<Extract<ApiKeyCommand, { type: 'CreateApiKey' }>> = {}): ApiKeyCommand => ({
  type: 'CreateApiKey',
  ...data,
  held: { 'sinas.agents/*/*.read:all': true },
  ...o,
});
const created: ApiKeyEvent = { type: 'ApiKeyCreated', data };
const revoke: ApiKeyCommand = { type: 'RevokeApiKey', keyId: 'k1', at };
const revoked: ApiKeyEvent = { type: 'ApiKeyRevoked', data: { keyId: 'k1', at } };

describe('API key decider', () => {
  it('creates a key without a map (its owner’s permissions)', () => given([]).when(create()).then([created]));

  it('creates a key narrowed to a subset of what its creator holds', () => {
    const permissions = { 'sinas.agents/ns/*.read:all': true };
    given([])
      .when(create({ permissions }))
      .then([{ type: 'ApiKeyCreated', data: { ...data, permissions } }]);
  });

  it('refuses a map wider than its creator’s, naming what is uncovered', () =>
    given([])
      .when(create({ permissions: { 'sinas.users.read:all': true } }))
      .thenThrows(ForbiddenError, /sinas\.users\.read:all/));

  it('refuses a malformed permission, naming it', () =>
    given([])
      .when(create({ permissions: { 'sinas.users': true } }))
      .thenThrows(ValidationError, /permissions\.sinas\.users/));

  it('refuses an expiry that is not after the command’s time', () =>
    given([])
      .when(create({ expiresAt: at }))
      .thenThrows(ValidationError, /expires_at/));

  it('keeps an expiry in the future', () => {
    const expiresAt = '2026-02-01T00:00:00.000Z';
    given([])
      .when(create({ expiresAt }))
      .then([{ type: 'ApiKeyCreated', data: { ...data, expiresAt } }]);
  });

  it('refuses to create a key twice', () => given([created]).when(create()).thenThrows(IllegalStateError));

  it('revokes an active key', () => given([created]).when(revoke).then([revoked]));

  it('revokes a key the runtime made without a record (the record starts there)', () =>
    given([]).when(revoke).then([revoked]));

  it('revokes once: a revoked key revoked again records nothing', () =>
    given([created, revoked]).when(revoke).then([]));
});
