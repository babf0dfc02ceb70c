/**
 * The signing secrets of event subscriptions (the commands' `SigningSecrets` port): a fresh Standard
 * Webhooks secret, and the same sealed under the master keyring bound to the subscription id.
 */
import type { SigningSecrets } from '../../commands/event-subscription/event-subscription-kind.js';
import type { Sealer } from '../cipher.js';
import { generateSigningSecret } from './signature.js';

export function signingSecrets(cipher: Sealer): SigningSecrets {
  return {
    create(subscriptionId) {
      const plain = generateSigningSecret();
      return { plain, sealed: cipher.seal(plain, subscriptionId) };
    },
  };
}
