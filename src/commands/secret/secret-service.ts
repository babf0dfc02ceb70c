/**
 * The secret use cases: create-or-overwrite (an upsert, as in Sinas), update, delete. A value is
 * sealed under the secret's data key before it reaches a command, so events carry ciphertext only.
 * A new secret gets a fresh data key, stored (wrapped) before its first event: if the append then
 * fails or the process dies, the orphaned key seals nothing that was stored. Later values reuse the
 * secret's key (fresh IV each), so one key covers the whole stream and destroying it — right after
 * the delete is appended, and again by the secrets projection in the transaction that handles the
 * delete event, should the process die in between — shreds every value the stream ever held.
 */
import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, NotFoundError } from '../../errors.js';
import { secretStream, type SealedValue, type SecretVisibility } from '../../events/secret-events.js';
import { versionOfRevision } from '../../events/versions.js';
import type { CommandContext, CommandHandler } from '../command-handler.js';
import { validate } from '../validation.js';
import {
  secretDecider,
  StaleSecretError,
  type Caller,
  type SecretCommand,
  type SecretData,
} from './secret-decider.js';
import {
  createSecretSchema,
  updateSecretSchema,
  type CreateSecretInput,
  type UpdateSecretInput,
} from './secret-schemas.js';

/** A data key: seals a value bound (GCM additional data) to its secret id. */
export interface DataKey {
  seal(plain: string, aad: string): SealedValue;
}

/** The key store port (src/runtime/secrets/data-keys.ts). */
export interface DataKeys {
  /** a fresh random key for a new secret, stored wrapped by the master key */
  create(secretId: string): Promise<DataKey>;
  /** the key of a live secret; undefined once destroyed */
  get(secretId: string): Promise<DataKey | undefined>;
  /** destroys the key for good (idempotent) */
  destroy(secretId: string): Promise<void>;
}

export interface SecretWrite {
  readonly secret: SecretData & { readonly version: number };
  /** `$all` position written (undefined for a no-op) */
  readonly position: bigint | undefined;
  readonly created: boolean;
}

const ATTEMPTS = 4;

export class SecretService {
  constructor(
    private readonly handler: CommandHandler,
    private readonly keys: DataKeys,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Creates the secret, or replaces the value of the caller's one of that name and visibility. */
  put(body: unknown, by: Caller, ctx: CommandContext): Promise<SecretWrite> {
    const input = validate<CreateSecretInput>(createSecretSchema, structuredClone(body));
    const stream = secretStream(input.visibility, by.userId, input.name);
    const description = input.description !== undefined ? { description: input.description } : {};
    return this.retrying(async (fresh) => {
      const { state } = await this.handler.load(secretDecider, stream, fresh);
      const at = this.now().toISOString();
      if (state.status === 'active') {
        const key = await this.keyOf(state.secretId);
        const value = key.seal(input.value, state.secretId);
        const command = { type: 'UpdateSecret', secretId: state.secretId, value, ...description, by, at };
        return this.run(stream, command as SecretCommand, ctx, false);
      }
      const secretId = randomUUID();
      const key = await this.keys.create(secretId);
      const { name, visibility } = input;
      return this.run(
        stream,
        {
          type: 'CreateSecret',
          secretId,
          name,
          visibility,
          description: input.description ?? null,
          value: key.seal(input.value, secretId),
          by,
          at,
        },
        ctx,
        true,
      );
    });
  }

  /** Updates the caller's private secret of that name if there is one, else the shared one. */
  update(
    name: string,
    body: unknown,
    by: Caller,
    ctx: CommandContext,
    visibility?: SecretVisibility,
  ): Promise<SecretWrite> {
    const patch = validate<UpdateSecretInput>(updateSecretSchema, structuredClone(body));
    return this.retrying(async (fresh) => {
      const { stream, state } = await this.resolve(name, by, visibility, fresh);
      const value =
        patch.value !== undefined
          ? { value: (await this.keyOf(state.secretId)).seal(patch.value, state.secretId) }
          : {};
      const description = patch.description !== undefined ? { description: patch.description } : {};
      const at = this.now().toISOString();
      return this.run(
        stream,
        { type: 'UpdateSecret', secretId: state.secretId, ...value, ...description, by, at },
        ctx,
        false,
      );
    });
  }

  /** Deletes (the caller's private one first) and destroys the data key: its values are gone for good. */
  remove(
    name: string,
    by: Caller,
    ctx: CommandContext,
    visibility?: SecretVisibility,
  ): Promise<{ position: bigint | undefined }> {
    return this.retrying(async (fresh) => {
      const { stream, state } = await this.resolve(name, by, visibility, fresh);
      const at = this.now().toISOString();
      const r = await this.apply(stream, { type: 'DeleteSecret', secretId: state.secretId, by, at }, ctx);
      await this.keys.destroy(state.secretId);
      return { position: r.position };
    });
  }

  private async resolve(name: string, by: Caller, visibility: SecretVisibility | undefined, fresh: boolean) {
    for (const v of visibility ? [visibility] : (['private', 'shared'] as const)) {
      const stream = secretStream(v, by.userId, name);
      const { state } = await this.handler.load(secretDecider, stream, fresh);
      if (state.status === 'active' && (v === 'shared' || state.ownerId === by.userId))
        return { stream, state };
    }
    throw new NotFoundError(`secret '${name}' not found`, 'name');
  }

  private async keyOf(secretId: string): Promise<DataKey> {
    const key = await this.keys.get(secretId);
    // destroyed: the secret is being deleted right now; the retry sees the delete
    if (!key) throw new StaleSecretError('the secret was deleted while this request ran');
    return key;
  }

  private async run(
    stream: string,
    command: SecretCommand,
    ctx: CommandContext,
    creating: boolean,
  ): Promise<SecretWrite> {
    const r = await this.apply(stream, command, ctx);
    if (r.state.status !== 'active') throw new NotFoundError('secret not found', 'name');
    const { status: _s, ...data } = r.state;
    return {
      secret: { ...data, version: versionOfRevision(r.revision) },
      position: r.position,
      created: creating && !r.duplicate,
    };
  }

  /** Runs the command; a decision that contradicts the state we prepared it for means: reload, retry. */
  private async apply(stream: string, command: SecretCommand, ctx: CommandContext) {
    try {
      return await this.handler.handle(secretDecider, stream, command, ctx);
    } catch (err) {
      if (err instanceof AlreadyExistsError || err instanceof NotFoundError)
        throw new StaleSecretError('the secret changed while this request ran');
      throw err;
    }
  }

  private async retrying<T>(attempt: (fresh: boolean) => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await attempt(i > 0);
      } catch (err) {
        if (!(err instanceof StaleSecretError) || i + 1 >= ATTEMPTS) throw err;
      }
    }
  }
}
