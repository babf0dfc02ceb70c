/**
 * The LiveBus port: ephemeral fan-out of token deltas (DESIGN §8). Two adapters implement it:
 * Redis Streams (./redis-live-bus.ts) and in-memory (./memory-live-bus.ts). Both pass
 * test/int/live-bus.contract.ts.
 *
 * Semantics both adapters share:
 * - Per channel, `seq` is a non-negative integer that strictly increases; `publish` rejects a
 *   seq not above the last one, and any publish after `end`, with IllegalStateError.
 * - `subscribe` first replays the retained messages with seq > afterSeq, then follows live:
 *   in seq order, with no gap and no duplicate. It completes after `end(channel)`, also for a
 *   subscriber that arrives after the end.
 * - Retention is bounded: a channel keeps about its last `maxLength` messages (Redis trims
 *   approximately) and disappears `ttlMs` after its last publish or end. What was trimmed or
 *   expired is gone: durable content comes from the event store, not from here.
 * - After `close()`, open subscriptions error with UnavailableError.
 */
import type { Observable } from 'rxjs';
import { ValidationError } from '../../errors.js';

export interface LiveMessage {
  readonly seq: number;
  readonly [key: string]: unknown;
}

export interface SubscribeOptions {
  /** replay only messages with seq greater than this; default: everything retained */
  readonly afterSeq?: number;
}

export interface LiveBusRetention {
  /** messages kept per channel */
  readonly maxLength: number;
  /** a channel expires this long after its last publish or end; at most MAX_TTL_MS (24.8 days) */
  readonly ttlMs: number;
}

/** setTimeout's largest delay */
export const MAX_TTL_MS = 2 ** 31 - 1;

export const defaultLiveBusRetention: LiveBusRetention = { maxLength: 10_000, ttlMs: 60 * 60 * 1000 };

export interface LiveBus {
  publish(channel: string, message: LiveMessage): Promise<void>;
  subscribe(channel: string, opts?: SubscribeOptions): Observable<LiveMessage>;
  /** Marks the channel finished: subscribers complete. Idempotent. */
  end(channel: string): Promise<void>;
  /**
   * Which of the channels the bus retains anything of: a publish or its end within the ttl. A
   * channel that it does not was never written, or expired (what it held is gone). One question
   * for many channels (a replay asks about every turn it holds).
   */
  retained(channels: readonly string[]): Promise<ReadonlySet<string>>;
  close(): Promise<void>;
}

export function validateChannel(channel: string): void {
  if (channel === '') throw new ValidationError('channel must be non-empty', 'channel');
}

export function validateMessage(message: LiveMessage): void {
  if (!isSeq(message.seq)) throw new ValidationError('seq must be a non-negative safe integer', 'seq');
}

export function validateAfterSeq(afterSeq: number | undefined): void {
  if (afterSeq !== undefined && !isSeq(afterSeq)) {
    throw new ValidationError('afterSeq must be a non-negative safe integer', 'afterSeq');
  }
}

export function validateRetention(retention: LiveBusRetention): void {
  if (!Number.isInteger(retention.maxLength) || retention.maxLength < 1) {
    throw new ValidationError('maxLength must be an integer >= 1', 'maxLength');
  }
  if (!Number.isInteger(retention.ttlMs) || retention.ttlMs < 1 || retention.ttlMs > MAX_TTL_MS) {
    throw new ValidationError(`ttlMs must be an integer from 1 to ${MAX_TTL_MS}`, 'ttlMs');
  }
}

function isSeq(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}
