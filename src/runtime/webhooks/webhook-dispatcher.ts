/**
 * Delivers events to subscriptions (README "Event webhooks"). Each subscription has a durable
 * checkpoint (`webhook_checkpoints`); a pass locks it (FOR UPDATE SKIP LOCKED: one worker per
 * subscription at a time), reads `$all` after it in commit order, POSTs each visible event and
 * moves the checkpoint past it only once the receiver answered 2xx. A failure stops the pass at that
 * event and schedules the next try with exponential backoff (capped): at least once, in order, never
 * skipping. After `failingAfter` consecutive failures the subscription reports `failing`; it keeps
 * retrying at the capped interval until the receiver recovers, someone deactivates it, or a replay
 * moves its checkpoint. What a subscription receives is what its owner may read now (the read
 * filter, src/audit/visibility.ts): an event about a resource they may not read arrives as a
 * reference without its data, and one they may not know of is skipped. A fork's copy of its
 * original's history is skipped too: those events were delivered when they happened.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { Subscription } from 'rxjs';
import { EventVisibility, readerOf, type Reader, type Sight } from '../../audit/visibility.js';
import type { PermissionMap } from '../../commands/identity/permissions.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { upcast } from '../../events/upcasters.js';
import { isForkCopy } from '../../events/fork-copies.js';
import { withClient } from '../../events/postgres/with-client.js';
import { Backoff } from '../../retry-loop.js';
import type { Sealed, Sealer } from '../cipher.js';
import type { WebhookConfig } from '../config.js';
import { logAttempt } from './delivery-log.js';
import { postWebhook } from './post.js';
import { webhookHeaders } from './signature.js';
import type { OutboundGuard } from '../outbound/outbound-guard.js';

/** a row of the `event_subscriptions` read model, as delivery needs it */
interface DueSubscription {
  readonly id: string;
  readonly owner_id: string;
  readonly url: string;
  readonly event_types: string[];
  readonly categories: string[];
  readonly scope: 'own' | 'all';
  readonly secret: Sealed;
}

const HIDDEN: Sight = { kind: 'hidden' };

/** subscriptions delivered to at once by one worker */
const CONCURRENCY = 4;
const BATCH = 100;
/** a pass over one subscription ends after this long, so its lock and connection are not held long */
const PASS_MS = 5000;
const IDLE_TICK_MS = 500;

export interface DispatcherDeps {
  readonly pool: pg.Pool;
  readonly store: EventStore;
  readonly cipher: Sealer;
  readonly guard: OutboundGuard;
  readonly config: WebhookConfig;
  readonly log: Logger;
  /** a subscription owner's permissions as they are now (read at each delivery pass) */
  readonly permissionsOf: (userId: string) => Promise<PermissionMap>;
}

export class WebhookDispatcher {
  private readonly abort = new AbortController();
  private readonly visibility: EventVisibility;
  private readonly secrets = new Map<string, string>();
  private wake: (() => void) | undefined;
  private done: Promise<void> | undefined;
  private head: Subscription | undefined;
  /**
   * Whether an append should start a pass at once: only while some subscription was due at the
   * last pass. With none (or all backing off) the idle tick finds new and recovering ones, and an
   * append costs no query.
   */
  private wakeOnAppend = true;

  constructor(private readonly deps: DispatcherDeps) {
    this.visibility = new EventVisibility(deps.store);
  }

  start(): void {
    this.head = this.deps.store.watchHead().subscribe({
      next: () => this.wakeOnAppend && this.wake?.(),
      // appends no longer wake a pass; the idle tick still finds what is due
      error: (err) => this.deps.log.warn({ err }, 'webhook dispatcher: no longer woken by appends'),
    });
    this.done ??= this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    this.head?.unsubscribe();
    this.wake?.();
    await this.done;
  }

  private async run(): Promise<void> {
    const backoff = new Backoff(this.deps.log, { loop: 'webhook dispatcher' });
    while (!this.abort.signal.aborted) {
      let progressed: boolean;
      try {
        progressed = await this.pass();
        backoff.succeeded();
      } catch (err) {
        // checkpoints move only with a delivery's commit: the next pass goes on from them
        if (!this.abort.signal.aborted) await backoff.failed(err, this.abort.signal);
        continue;
      }
      if (progressed || this.abort.signal.aborted) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_TICK_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** One pass over every due subscription. True when some checkpoint moved. */
  private async pass(): Promise<boolean> {
    const { rows } = await this.deps.pool.query<
      DueSubscription & { created_position: string; fresh: boolean }
    >(
      `SELECT s.id, s.owner_id, s.url, s.event_types, s.categories, s.scope, s.secret, s.created_position,
              c.subscription_id IS NULL AS fresh
         FROM event_subscriptions s LEFT JOIN webhook_checkpoints c ON c.subscription_id = s.id
        WHERE s.active AND (c.subscription_id IS NULL OR c.next_attempt_at <= now())
        ORDER BY c.next_attempt_at NULLS FIRST LIMIT 1000`,
    );
    this.wakeOnAppend = rows.length > 0;
    for (const r of rows.filter((x) => x.fresh))
      await this.deps.pool.query(
        `INSERT INTO webhook_checkpoints (subscription_id, position) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
        [r.id, r.created_position],
      );
    let progressed = false;
    for (let i = 0; i < rows.length && !this.abort.signal.aborted; i += CONCURRENCY) {
      const moved = await Promise.all(rows.slice(i, i + CONCURRENCY).map((s) => this.deliver(s)));
      progressed ||= moved.some(Boolean);
    }
    return progressed;
  }

  /** Delivers what is due for one subscription, under its checkpoint's row lock. */
  private async deliver(sub: DueSubscription): Promise<boolean> {
    return withClient(this.deps.pool, async (client, discard) => {
      try {
        await client.query('BEGIN');
        const { rows } = await client.query<{ position: string; failures: number }>(
          `SELECT position, failures FROM webhook_checkpoints
          WHERE subscription_id = $1 AND next_attempt_at <= now() FOR UPDATE SKIP LOCKED`,
          [sub.id],
        );
        const cp = rows[0];
        if (!cp) {
          await client.query('COMMIT');
          return false;
        }
        const started = BigInt(cp.position);
        const outcome = await this.deliverFrom(sub, started, cp.failures);
        const failures = outcome.failed ? cp.failures + 1 : 0;
        const delayMs = outcome.failed ? this.backoff(failures) : 0;
        await client.query(
          `UPDATE webhook_checkpoints SET position = $2, failures = $3,
           next_attempt_at = now() + make_interval(secs => $4::double precision / 1000),
           last_error = $5, updated_at = now() WHERE subscription_id = $1`,
          [sub.id, String(outcome.position), failures, delayMs, outcome.error],
        );
        await client.query('COMMIT');
        return outcome.position !== started;
      } catch (err) {
        // a client whose ROLLBACK failed may still hold the transaction and its row lock: it is
        // closed on release, never pooled; the failure to report is the first one
        await client.query('ROLLBACK').catch(discard);
        throw err;
      }
    });
  }

  private async deliverFrom(
    sub: DueSubscription,
    after: bigint,
    failures: number,
  ): Promise<{ position: bigint; failed: boolean; error: string | null }> {
    const events = await this.deps.store.readAll({
      after,
      maxCount: BATCH,
      filter: {
        ...(sub.categories.length > 0 ? { categories: sub.categories } : {}),
        ...(sub.event_types.length > 0 ? { eventTypes: sub.event_types } : {}),
      },
    });
    if (events.length === 0) return { position: after, failed: false, error: null };
    const owner: Reader = readerOf(sub.owner_id, await this.deps.permissionsOf(sub.owner_id));
    const deadline = Date.now() + PASS_MS;
    let position = after;
    for (const recorded of events) {
      if (this.abort.signal.aborted || Date.now() > deadline) break;
      const e = upcast(recorded);
      // a fork's copy of its original's history was delivered when it happened (the fork's
      // creation, with its origin, is delivered: it is new)
      const sight = isForkCopy(e) ? HIDDEN : await this.visibility.forSubscription(e, sub.scope, owner);
      if (sight.kind !== 'hidden') {
        const result = await this.post(sub, e, sight, failures + 1);
        if (!result.ok) return { position, failed: true, error: result.error };
        failures = 0;
      }
      position = e.position;
    }
    return { position, failed: false, error: null };
  }

  private async post(sub: DueSubscription, e: RecordedEvent, sight: Sight, attempt: number) {
    const body = JSON.stringify(payloadOf(e, sight));
    const timestamp = Math.floor(Date.now() / 1000);
    let result: { ok: boolean; statusCode: number | null; error: string | null; durationMs: number };
    try {
      const headers = webhookHeaders(this.secretOf(sub), e.id, timestamp, body);
      result = await postWebhook(
        this.deps.guard,
        sub.url,
        headers,
        body,
        this.deps.config.timeoutMs,
        this.abort.signal,
      );
    } catch (err) {
      result = { ok: false, statusCode: null, error: (err as Error).message, durationMs: 0 };
    }
    await logAttempt(this.deps.pool, {
      subscriptionId: sub.id,
      eventId: e.id,
      position: e.position,
      attempt,
      ...result,
    });
    return result;
  }

  private secretOf(sub: DueSubscription): string {
    let secret = this.secrets.get(sub.id);
    if (secret === undefined) {
      secret = this.deps.cipher.open(sub.secret, sub.id);
      if (this.secrets.size > 10_000) this.secrets.clear();
      this.secrets.set(sub.id, secret);
    }
    return secret;
  }

  private backoff(failures: number): number {
    const { retryBaseMs, retryMaxMs } = this.deps.config;
    return Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(failures - 1, 30));
  }
}

/**
 * The JSON body: Standard Webhooks' `{type, timestamp, data}` with the event in `data`; for an event
 * the owner may not read, `data.data` is null and `data.reference` says what it is about.
 */
export function payloadOf(e: RecordedEvent, sight: Sight): Record<string, unknown> {
  return {
    type: e.type,
    timestamp: e.createdAt.toISOString(),
    data: {
      id: e.id,
      type: e.type,
      stream: e.streamName,
      revision: Number(e.revision),
      position: Number(e.position),
      created_at: e.createdAt.toISOString(),
      ...(sight.kind === 'reference' ? { data: null, reference: sight.reference } : { data: e.data }),
      metadata: e.metadata,
    },
  };
}
