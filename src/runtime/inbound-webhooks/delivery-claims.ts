/**
 * Deduplication of inbound webhook deliveries, kept in the event store so it holds across
 * restarts and API processes. A delivery claims its key by appending `WebhookDeliveryClaimed` to
 * the key's stream with the expected revision it read; of two deliveries racing, one wins and the
 * other reads the winner's claim. The claim names the execution it runs before that is requested,
 * so any delivery of the key that finds a claim without an answer (the first still running, or its
 * process gone) runs the same execution (requested idempotently under the claim's id) rather than a
 * new one. The first answer appended after the claim is the key's response until `expiresAt`.
 */
import { randomUUID } from 'node:crypto';
import { ConcurrencyError } from '../../errors.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { newExecutionId } from '../../events/ids.js';
import type {
  WebhookDeliveryAnsweredData,
  WebhookDeliveryClaimedData,
} from '../../events/webhook-delivery-events.js';

/** A live claim on a key: the run it stands for and where its answer goes. */
export interface Claim {
  readonly stream: string;
  /** the claim event's id: the command id its execution is requested under */
  readonly claimId: string;
  readonly executionId: string;
  readonly revision: bigint;
}

export type Answer = Omit<WebhookDeliveryAnsweredData, 'at'>;

export type ClaimState =
  | { readonly kind: 'claimed'; readonly claim: Claim }
  | { readonly kind: 'answered'; readonly answer: Answer };

const ATTEMPTS = 5;

export class DeliveryClaims {
  constructor(
    private readonly store: EventStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The key's live claim (ours if there was none, or the last one expired), or its recorded answer. */
  async claim(stream: string, webhookId: string, ttlSeconds: number, actor: string): Promise<ClaimState> {
    for (let attempt = 1; ; attempt++) {
      const events = await this.store.readStream(stream);
      const live = liveState(stream, events, this.now());
      if (live) return live;
      const at = this.now();
      const data: WebhookDeliveryClaimedData = {
        webhookId,
        executionId: newExecutionId(),
        at: at.toISOString(),
        expiresAt: new Date(at.getTime() + ttlSeconds * 1000).toISOString(),
      };
      const id = randomUUID();
      const expected = events.length === 0 ? ('no_stream' as const) : events.at(-1)!.revision;
      try {
        const r = await this.store.append(
          stream,
          [{ id, type: 'WebhookDeliveryClaimed', data: { ...data }, metadata: meta(id, actor) }],
          expected,
        );
        const claim = {
          stream,
          claimId: id,
          executionId: data.executionId,
          revision: r.nextExpectedRevision,
        };
        return { kind: 'claimed', claim };
      } catch (err) {
        // another delivery of the key claimed it first: read its claim
        if (!(err instanceof ConcurrencyError) || attempt >= ATTEMPTS) throw err;
      }
    }
  }

  /** Records the claim's answer; when another delivery recorded one first, that one is the answer. */
  async answer(claim: Claim, answer: Answer, actor: string): Promise<Answer> {
    const id = randomUUID();
    const data = { ...answer, at: this.now().toISOString() };
    try {
      await this.store.append(
        claim.stream,
        [{ id, type: 'WebhookDeliveryAnswered', data, metadata: meta(id, actor, claim.claimId) }],
        claim.revision,
      );
      return answer;
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err;
      const events = await this.store.readStream(claim.stream, { fromRevision: claim.revision + 1n });
      const first = events.find((e) => e.type === 'WebhookDeliveryAnswered');
      if (!first) throw err;
      return answerOf(first);
    }
  }
}

/** The last claim, when it has not expired: answered or still open. */
function liveState(stream: string, events: readonly RecordedEvent[], now: Date): ClaimState | undefined {
  const i = events.findLastIndex((e) => e.type === 'WebhookDeliveryClaimed');
  if (i < 0) return undefined;
  const c = events[i]!;
  const data = c.data as unknown as WebhookDeliveryClaimedData;
  if (new Date(data.expiresAt).getTime() <= now.getTime()) return undefined;
  const answered = events.slice(i + 1).find((e) => e.type === 'WebhookDeliveryAnswered');
  if (answered) return { kind: 'answered', answer: answerOf(answered) };
  const claim = { stream, claimId: c.id, executionId: data.executionId, revision: c.revision };
  return { kind: 'claimed', claim };
}

function answerOf(e: RecordedEvent): Answer {
  const { at: _at, ...answer } = e.data as unknown as WebhookDeliveryAnsweredData;
  return answer;
}

function meta(id: string, actor: string, causationId = id) {
  return { correlationId: causationId, causationId, actor, version: 1 };
}
