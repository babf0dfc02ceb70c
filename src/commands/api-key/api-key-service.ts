/**
 * API key commands: create (decided and recorded, then the credential stored) and revoke (recorded,
 * then the credential stopped; a retry stops it even when the record is already there).
 */
import { randomUUID } from 'node:crypto';
import { ForbiddenError } from '../../errors.js';
import { streams } from '../../events/stream-names.js';
import type { CommandContext, CommandHandler } from '../command-handler.js';
import type { PermissionMap } from '../identity/permissions.js';
import type { ApiKeyCredentials } from './api-key-credentials.js';
import { apiKeyDecider } from './api-key-decider.js';

export interface NewApiKey {
  readonly name: string;
  /** omitted: the key acts with its owner's role permissions */
  readonly permissions?: PermissionMap;
  readonly expires_at?: string;
}

export interface Creator {
  readonly userId: string;
  /** what the creator holds: a key's map must be a subset */
  readonly held: PermissionMap;
}

export class ApiKeyService {
  constructor(
    private readonly handler: CommandHandler,
    private readonly credentials: ApiKeyCredentials,
    private readonly now: () => Date = () => new Date(),
    private readonly newId: () => string = randomUUID,
  ) {}

  /** A new key for `creator`; the plaintext is in the answer and nowhere else. */
  async create(body: NewApiKey, creator: Creator, ctx: CommandContext): Promise<{ id: string; key: string }> {
    const id = this.newId();
    const expiresAt = body.expires_at ? new Date(body.expires_at) : null;
    const permissions = body.permissions ?? null;
    await this.handler.handle(
      apiKeyDecider,
      streams.apiKey(id),
      {
        type: 'CreateApiKey',
        keyId: id,
        userId: creator.userId,
        name: body.name,
        permissions,
        expiresAt: expiresAt?.toISOString() ?? null,
        at: this.now().toISOString(),
        held: creator.held,
      },
      ctx,
    );
    const key = await this.credentials.issueKey({
      id,
      userId: creator.userId,
      name: body.name,
      permissions,
      expiresAt,
    });
    return { id, key };
  }

  /** Revokes key `id` (whose existence and ownership the caller checked); the bootstrap key is refused. */
  async revoke(id: string, ctx: CommandContext): Promise<void> {
    if (await this.credentials.isBootstrap(id))
      throw new ForbiddenError('the bootstrap admin key is managed by SINAS_ADMIN_API_KEY');
    await this.handler.handle(
      apiKeyDecider,
      streams.apiKey(id),
      { type: 'RevokeApiKey', keyId: id, at: this.now().toISOString() },
      ctx,
    );
    await this.credentials.revoke(id, ctx.actor);
  }
}
