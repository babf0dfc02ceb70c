/**
 * What happens to a secret (reference §5.1, DESIGN §9). Stream `secret-shared/<name>` (one shared
 * secret per name) or `secret-private/<owner>/<name>` (one private secret per owner and name).
 * A value appears only as `SealedValue`: AES-256-GCM under the secret's own data key, whose id is the
 * secret id (`kid`); the data key itself lives wrapped in the `secret_keys` table, never in an event.
 * Deleting destroys that key, so every value the stream ever held becomes unreadable.
 */
import type { FlatEvents } from './resources/event-layout.js';
import { resourceStreamId } from './resources/resource-events.js';
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

/** `secretId` names this incarnation: one deleted and created again gets a new id and a new key */
type Fields = { readonly description: string | null; readonly value: SealedValue };
type Identity = { readonly name: string; readonly visibility: SecretVisibility };
export type SecretEvent = FlatEvents<'Secret', 'secretId', Fields & Identity, Fields>;

export const SECRET_CATEGORY = 'secret';

export function secretStream(visibility: SecretVisibility, ownerId: string, name: string): string {
  return streamName(SECRET_CATEGORY, resourceStreamId({ namespace: visibility, name, ownerId }, PER_OWNER));
}

const PER_OWNER = { perOwnerNamespace: 'private' } as const;
