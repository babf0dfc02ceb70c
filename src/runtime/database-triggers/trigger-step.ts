/**
 * One step of one trigger, decided on its poll stream: settle the batch in flight once its
 * execution ended, else read the next batch and claim it (the claim carries the new
 * `last_poll_value`, appended with the stream's expected revision), then request its execution as
 * the trigger's owner through ExecutionService (so the execute policy decides, with the owner's
 * permissions as they are now). The execution's id is on the claim and its request is idempotent,
 * so a worker that died after claiming leaves the request to whoever steps next. What goes wrong
 * is recorded on the stream: an unreadable table, a function that may not or did not run.
 */
import { randomUUID } from 'node:crypto';
import { ForbiddenError, IllegalStateError, NotFoundError, ValidationError } from '../../errors.js';
import type { CommandHandler } from '../../commands/command-handler.js';
import {
  triggerPollDecider,
  type TriggerPollCommand,
  type TriggerPollState,
} from '../../commands/database-trigger/trigger-poll-decider.js';
import { isStopped, type ExecutionService } from '../../commands/execution/execution-service.js';
import { triggerPollStream, type BatchClaimedData } from '../../events/database-trigger-events.js';
import type { EventStore } from '../../events/event-store.js';
import type { ExecutionId } from '../../events/ids.js';
import type { DataSources } from '../data-sources/data-sources.js';
import { trimStream, type StreamRetention } from '../retention/stream-trim.js';
import { readBatch } from './batch-reader.js';

/** A trigger as the poller reads it from its read model. */
export interface ActiveTrigger {
  readonly id: string;
  readonly name: string;
  readonly ownerId: string;
  readonly spec: Readonly<Record<string, unknown>>;
}

export interface StepDeps {
  readonly handler: CommandHandler;
  readonly store: EventStore;
  readonly dataSources: DataSources;
  readonly executions: ExecutionService;
  readonly now: () => Date;
  /** how long a step waits for a batch's execution to end before yielding */
  readonly settleWaitMs: number;
  /** how many events each trigger's poll stream keeps (every event carries the status after it) */
  readonly retention: StreamRetention;
}

/** what the poller does next with this trigger */
export type StepOutcome = 'again' | 'idle';

/** A failure of the function's side that no retry fixes: recorded, and the batch settles. */
const refusal = (err: unknown) =>
  err instanceof ForbiddenError || err instanceof NotFoundError || err instanceof ValidationError;

export class TriggerStep {
  constructor(private readonly d: StepDeps) {}

  async step(t: ActiveTrigger): Promise<StepOutcome> {
    const stream = triggerPollStream(t.id);
    const { state } = await this.d.handler.load(triggerPollDecider, stream, false);
    try {
      return state.pending ? await this.settle(t, state) : await this.poll(t, state);
    } catch (err) {
      // decided on a stale read: another worker moved first; read afresh next step
      if (err instanceof IllegalStateError) {
        await this.d.handler.load(triggerPollDecider, stream, true);
        return 'again';
      }
      throw err;
    }
  }

  private async poll(t: ActiveTrigger, state: TriggerPollState): Promise<StepOutcome> {
    const s = t.spec;
    let batch;
    try {
      const source = await this.d.dataSources.byId(String(s.database_connection_id));
      batch = await readBatch(
        source,
        {
          schemaName: String(s.schema_name ?? 'public'),
          tableName: String(s.table_name),
          pollColumn: String(s.poll_column),
          batchSize: Number(s.batch_size ?? 100),
        },
        state.lastPollValue,
      );
    } catch (err) {
      await this.record(t, {
        type: 'RecordPollFailure',
        triggerId: t.id,
        error: describe(err),
        at: this.at(),
      });
      return 'idle';
    }
    if (!batch) {
      await this.record(t, { type: 'RecordPollSuccess', triggerId: t.id, at: this.at() });
      return 'idle';
    }
    const claim: Omit<BatchClaimedData, 'seq' | 'count'> = {
      triggerId: t.id,
      executionId: randomUUID(),
      fromValue: state.lastPollValue,
      lastPollValue: batch.lastValue,
      rows: batch.rows,
      at: this.at(),
    };
    const r = await this.record(t, { type: 'ClaimBatch', ...claim });
    await this.request(t, { ...claim, seq: r.seq, count: batch.rows.length });
    return 'again';
  }

  /** the pending batch: requested if no one did, settled once its execution stopped */
  private async settle(t: ActiveTrigger, state: TriggerPollState): Promise<StepOutcome> {
    const pending = state.pending!;
    const id = pending.executionId as ExecutionId;
    const loaded = await this.d.executions.load(id).catch((err: unknown) => {
      if (err instanceof NotFoundError) return undefined; // claimed, not yet requested
      throw err;
    });
    if (!loaded) {
      const claim = await this.claimOf(t, pending.seq);
      await this.request(t, claim);
      return 'again';
    }
    const stopped = isStopped(loaded.state)
      ? loaded.state
      : await this.d.executions.waitForStop(id, loaded.revision, this.d.settleWaitMs);
    if (!stopped) return 'again';
    const failed = stopped.status !== 'COMPLETED';
    const error =
      stopped.status === 'AWAITING_INPUT'
        ? 'the function asked for input(), which no one answers for a trigger'
        : failed
          ? `${stopped.status}: ${String(stopped.error ?? 'no reason given')}`
          : null;
    if (stopped.status === 'AWAITING_INPUT')
      await this.d.executions.cancel(
        id,
        { userId: stopped.request.userId, isAdmin: true },
        this.ctx(`cancel-${id}`),
      );
    const command = { triggerId: t.id, seq: pending.seq, status: stopped.status, error, at: this.at() };
    await this.record(t, { type: 'SettleBatch', ...command });
    return 'again';
  }

  private async request(t: ActiveTrigger, claim: BatchClaimedData): Promise<void> {
    const s = t.spec;
    const input = {
      table: `${String(s.schema_name ?? 'public')}.${String(s.table_name)}`,
      operation: 'CHANGE',
      rows: claim.rows,
      poll_column: s.poll_column,
      count: claim.count,
      timestamp: claim.at,
    };
    const fn = { namespace: String(s.function_namespace), name: String(s.function_name) };
    try {
      await this.d.executions.request(
        fn,
        input,
        { type: 'CDC', id: t.id },
        { userId: t.ownerId },
        { ...this.ctx(`cdc-${claim.executionId}`), executionId: claim.executionId as ExecutionId },
      );
    } catch (err) {
      if (!refusal(err)) throw err; // transient: the next step requests it again
      const command = {
        triggerId: t.id,
        seq: claim.seq,
        status: 'REFUSED',
        error: describe(err),
        at: this.at(),
      };
      await this.record(t, { type: 'SettleBatch', ...command });
    }
  }

  /** the claim of batch `seq` (the pending one: the stream's last claim) */
  private async claimOf(t: ActiveTrigger, seq: number): Promise<BatchClaimedData> {
    const recent = await this.d.store.readStream(triggerPollStream(t.id), {
      direction: 'backwards',
      maxCount: 20,
    });
    const e = recent.find((x) => x.type === 'DatabaseTriggerBatchClaimed' && x.data.seq === seq);
    if (!e)
      throw new Error(`trigger ${t.id}: the claim of batch ${seq} is not among the stream's last events`);
    return e.data as unknown as BatchClaimedData;
  }

  private async record(t: ActiveTrigger, command: TriggerPollCommand) {
    const stream = triggerPollStream(t.id);
    const r = await this.d.handler.handle(triggerPollDecider, stream, command, this.ctx(randomUUID()));
    if (r.revision !== undefined && !r.duplicate)
      await trimStream(this.d.store, stream, r.revision, this.d.retention);
    return r.state;
  }

  private ctx(commandId: string) {
    return { commandId, actor: 'system' };
  }

  private at(): string {
    return this.d.now().toISOString();
  }
}

/** an error as the trigger shows it: the database's own words, with its SQLSTATE */
function describe(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return typeof e?.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)
    ? `${message} (SQLSTATE ${e.code})`
    : message;
}
