/**
 * What happens to an inbound webhook's deduplicated delivery (README "Inbound webhooks"). Stream
 * `webhookdelivery-<webhook id>/<sha256 of the dedup key's value>`: a `WebhookDeliveryClaimed`
 * appended with an expected revision makes one delivery the key's first (until `expiresAt`), and
 * `WebhookDeliveryAnswered` records the response every later delivery of the key gets.
 */
import { streamName } from './stream-names.js';

export interface WebhookDeliveryClaimedData {
  readonly webhookId: string;
  /** the execution this claim runs (made before it is requested, so a retry can adopt it) */
  readonly executionId: string;
  readonly at: string;
  /** when the key may start a new run again */
  readonly expiresAt: string;
}

/**
 * Where the run stood when the delivery was answered: `queued` (async), `completed` (with its
 * result), `awaiting_input` (paused by input()), `failed` (failed, timed out or cancelled; `error`).
 */
export type DeliveryOutcome = 'queued' | 'completed' | 'awaiting_input' | 'failed';

export interface WebhookDeliveryAnsweredData {
  readonly executionId: string;
  readonly outcome: DeliveryOutcome;
  readonly result?: unknown;
  readonly error?: string | null;
  readonly at: string;
}

export type WebhookDeliveryEvent =
  | { readonly type: 'WebhookDeliveryClaimed'; readonly data: WebhookDeliveryClaimedData }
  | { readonly type: 'WebhookDeliveryAnswered'; readonly data: WebhookDeliveryAnsweredData };

export const WEBHOOK_DELIVERY_CATEGORY = 'webhookdelivery';

export const webhookDeliveryStream = (webhookId: string, keyHash: string) =>
  streamName(WEBHOOK_DELIVERY_CATEGORY, `${webhookId}/${keyHash}`);
