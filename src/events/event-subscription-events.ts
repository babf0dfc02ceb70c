/**
 * What happens to an outbound event subscription (README "Event webhooks"). Stream
 * `eventsub-<id>`. The signing secret appears only sealed under the master keyring (bound to the
 * subscription id as GCM additional data): events and the read model never hold it in plaintext.
 */
import type { Sealed } from '../runtime/cipher.js';
import type { FlatEvents } from './resources/event-layout.js';
import { streamName } from './stream-names.js';

/** 'own': only events about the owner's resources; 'all': every event (administrators only) */
export type SubscriptionScope = 'own' | 'all';

export interface SubscriptionFields {
  readonly url: string;
  /** empty: every type */
  readonly eventTypes: readonly string[];
  /** empty: every category */
  readonly categories: readonly string[];
  readonly description: string | null;
  readonly active: boolean;
}

type Created = SubscriptionFields & { readonly scope: SubscriptionScope; readonly secret: Sealed };
export type EventSubscriptionEvent = FlatEvents<
  'EventSubscription',
  'subscriptionId',
  Created,
  SubscriptionFields
>;

export const EVENT_SUBSCRIPTION_CATEGORY = 'eventsub';

export const eventSubscriptionStream = (id: string) => streamName(EVENT_SUBSCRIPTION_CATEGORY, id);
