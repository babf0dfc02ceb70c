/**
 * What happens to a secret (reference §5.1, DESIGN §9). Stream `secret-shared/<name>` (one shared
 * secret per name) or `secret-private/<owner>/<name>` (one private secret per owner and name).
 * A value appears only as `SealedValue`: AES-256-GCM under the secret's own data key, whose id is the
 * secret id (`kid`); the data key itself lives wrapped in the `secret_keys` table, never in an event.
 * Deleting destroys that key, so every value the stream ever held becomes unreadable.
 */
import { streamName } from './stream-names.js';

export type SecretVisibility = 'shared' | 'private';

/** Ciphertext under the data key `kid` (= the secret id), bound to it as GCM additional data. */
export interface SealedValue {
  readonly alg: 'A256GCM';
  readonly kid: string;
  readonly iv: string;
  readonly tag: string;
  readonly ct: string;
}

export interface SecretCreatedData {
  /** this incarnation's id: a secret deleted and created again gets a new id and a new data key */
  readonly secretId: string;
  readonly name: string;
  readonly visibility: SecretVisibility;
  readonly ownerId: string;
  readonly description: string | null;
  readonly value: SealedValue;
  readonly at: string;
}

export interface SecretUpdatedData {
  readonly secretId: string;
  readonly changes: { readonly value?: SealedValue; readonly description?: string | null };
  readonly changed: readonly ('value' | 'description')[];
  readonly at: string;
}

export interface SecretDeletedData {
  readonly secretId: string;
  readonly at: string;
}

export type SecretEvent =
  | { readonly type: 'SecretCreated'; readonly data: SecretCreatedData }
  | { readonly type: 'SecretUpdated'; readonly data: SecretUpdatedData }
  | { readonly type: 'SecretDeleted'; readonly data: SecretDeletedData };

export const SECRET_CATEGORY = 'secret';

export function secretStreamId(visibility: SecretVisibility, ownerId: string, name: string): string {
  return visibility === 'shared' ? `shared/${name}` : `private/${ownerId}/${name}`;
}

export function secretStream(visibility: SecretVisibility, ownerId: string, name: string): string {
  return streamName(SECRET_CATEGORY, secretStreamId(visibility, ownerId, name));
}
