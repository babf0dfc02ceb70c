/**
 * Running one delivery of an inbound webhook: its function through ExecutionService (the execute
 * check, input validation and the execution stream every path shares), sync (wait for the run to
 * stop) or async (answer once it is requested). With dedup, the key's claim (delivery-claims.ts)
 * decides whether this delivery runs anything: a recorded answer is replayed; an open claim's
 * execution is run or waited for under the claim's ids, so a key starts at most one execution.
 */
import { randomUUID } from 'node:crypto';
import {
  decodedStop,
  type Caller,
  type ExecutionService,
  type PresentExecution,
} from '../../commands/execution/execution-service.js';
import { NotFoundError, TimedOutError } from '../../errors.js';
import type { ExecutionId } from '../../events/ids.js';
import { webhookDeliveryStream } from '../../events/webhook-delivery-events.js';
import type { Answer, Claim, DeliveryClaims } from './delivery-claims.js';
import { dedupHash, webhookInput, type Incoming } from './webhook-input.js';

/** A webhook as a delivery needs it (its read-model record). */
export interface WebhookTarget {
  readonly id: string;
  readonly ownerId: string;
  readonly spec: Readonly<Record<string, unknown>>;
}

export interface Delivery {
  readonly webhook: WebhookTarget;
  readonly incoming: Incoming;
  /** who the function runs as: the authenticated caller, or the webhook's owner */
  readonly runAs: Caller;
  readonly chatId?: string;
}

export interface Delivered {
  readonly answer: Answer;
  /** the answer a previous delivery of the same dedup key recorded */
  readonly replayed: boolean;
}

interface Dedup {
  readonly key: string;
  /** absent: the default (a default inside `anyOf` is not filled in by the schema) */
  readonly ttl_seconds?: number;
}

export const DEFAULT_DEDUP_TTL_S = 300;

export class WebhookDeliveries {
  constructor(
    private readonly executions: ExecutionService,
    private readonly claims: DeliveryClaims,
    /** the longest a sync delivery waits for its run */
    private readonly syncTimeoutMs: number,
  ) {}

  async deliver(d: Delivery): Promise<Delivered> {
    const input = webhookInput((d.webhook.spec.default_values ?? {}) as Record<string, unknown>, d.incoming);
    const dedup = d.webhook.spec.dedup as Dedup | null | undefined;
    if (!dedup) return { answer: await this.run(d, input), replayed: false };
    const stream = webhookDeliveryStream(d.webhook.id, dedupHash(dedup.key, input, d.incoming));
    const state = await this.claims.claim(
      stream,
      d.webhook.id,
      dedup.ttl_seconds ?? DEFAULT_DEDUP_TTL_S,
      d.runAs.userId,
    );
    if (state.kind === 'answered') return { answer: state.answer, replayed: true };
    const answer = await this.run(d, input, state.claim);
    return { answer: await this.claims.answer(state.claim, answer, d.runAs.userId), replayed: false };
  }

  /** Requests the run (under the claim's ids, idempotently, when there is one) and answers it. */
  private async run(d: Delivery, input: Record<string, unknown>, claim?: Claim): Promise<Answer> {
    const existing = claim && (await this.loaded(claim.executionId as ExecutionId));
    let executionId: ExecutionId;
    let revision: bigint;
    if (existing) {
      executionId = claim.executionId as ExecutionId;
      revision = existing.revision;
    } else {
      const fn = {
        namespace: String(d.webhook.spec.function_namespace),
        name: String(d.webhook.spec.function_name),
      };
      const trigger = { type: 'WEBHOOK' as const, id: d.webhook.id, chatId: d.chatId ?? null };
      const ctx = claim
        ? { executionId: claim.executionId as ExecutionId, commandId: claim.claimId }
        : { commandId: randomUUID() };
      const r = await this.executions.request(fn, input, trigger, d.runAs, ctx);
      executionId = r.executionId;
      revision = r.revision;
    }
    if (d.webhook.spec.response_mode === 'async') return { executionId, outcome: 'queued' };
    const stop =
      existing && isStop(existing.state)
        ? existing.state
        : await this.executions.waitForStop(executionId, revision, this.syncTimeoutMs);
    if (!stop)
      throw new TimedOutError(
        `the function is still running after ${this.syncTimeoutMs} ms: poll GET /executions/${executionId}`,
      );
    return answerOf(executionId, stop);
  }

  private async loaded(id: ExecutionId) {
    try {
      return await this.executions.load(id);
    } catch (err) {
      if (err instanceof NotFoundError) return undefined; // not requested yet: this delivery requests it
      throw err;
    }
  }
}

const isStop = (s: PresentExecution) => s.status !== 'PENDING' && s.status !== 'RUNNING';

function answerOf(executionId: string, stop: PresentExecution): Answer {
  const s = decodedStop(stop);
  const status = s.status;
  switch (status) {
    case 'COMPLETED':
      return { executionId, outcome: 'completed', result: s.output ?? null };
    case 'AWAITING_INPUT':
      return { executionId, outcome: 'awaiting_input' };
    case 'FAILED':
    case 'TIMED_OUT':
      return { executionId, outcome: 'failed', error: s.error ?? status.toLowerCase() };
    case 'CANCELLED':
      return { executionId, outcome: 'failed', error: 'the execution was cancelled' };
    case 'PENDING':
    case 'RUNNING': // waitForStop answers only once stopped; kept for the exhaustive switch
      return { executionId, outcome: 'queued' };
    default: {
      const unreachable: never = status;
      return unreachable;
    }
  }
}
