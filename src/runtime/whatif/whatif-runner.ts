/**
 * Runs a what-if run (the job's work): reads each selected chat's recorded turns, replays them in
 * order against the candidate (replay-turn.ts) and records one report per chat on the run's
 * stream, then how the run ended. A job retried after a crash goes on after the chats already
 * reported; a second job of the same run loses the append race and stops.
 */
import type pg from 'pg';
import { ConcurrencyError, IllegalStateError } from '../../errors.js';
import type { EventStore, NewEvent } from '../../events/event-store.js';
import { streams } from '../../events/stream-names.js';
import { upcast } from '../../events/upcasters.js';
import type { ExecutionService } from '../../commands/execution/execution-service.js';
import type { ProviderResolver, ResolvedModel } from '../turns/provider-resolver.js';
import { callChanges, textDiff } from './comparison.js';
import { ModelPrices } from './model-prices.js';
import { capped, packed } from './report-size.js';
import { recordedChat, type RecordedChat } from './recorded-turns.js';
import { candidateTools, replayTurn, toolChatOf, type ReplayDeps } from './replay-turn.js';
import {
  foldWhatIf,
  whatIfStream,
  type TurnReport,
  type WhatIfEvent,
  type WhatIfRun,
} from './whatif-events.js';

export interface WhatIfRunnerDeps extends ReplayDeps {
  readonly store: EventStore;
  readonly pool: Pick<pg.Pool, 'query'>;
  readonly resolver: ProviderResolver;
  readonly executions: ExecutionService;
}

export class WhatIfRunner {
  constructor(private readonly d: WhatIfRunnerDeps) {}

  async run(runId: string): Promise<void> {
    const stream = whatIfStream(runId);
    const events = await this.d.store.readStream(stream);
    const run = foldWhatIf(events);
    if (!run || run.status === 'completed' || run.status === 'failed') return;
    let revision = events.at(-1)!.revision;
    const append = async (e: WhatIfEvent) => {
      const written: NewEvent = {
        id: crypto.randomUUID(),
        type: e.type,
        data: e.data as unknown as Record<string, unknown>,
        metadata: { correlationId: runId, causationId: runId, actor: 'system', version: 1 },
      };
      revision = (await this.d.store.append(stream, [written], revision)).nextExpectedRevision;
    };
    try {
      await this.replay(run, runId, append);
    } catch (err) {
      if (err instanceof ConcurrencyError) return; // another job of this run got there first
      if (!(err instanceof IllegalStateError)) throw err;
      await append({ type: 'WhatIfFailed', data: { error: err.message, at: new Date().toISOString() } });
    }
  }

  private async replay(run: WhatIfRun, runId: string, append: (e: WhatIfEvent) => Promise<void>) {
    const chats = await this.chats(run.request.chats);
    const total = chats.reduce((n, c) => n + c.turns.length, 0);
    if (run.status === 'queued') await append({ type: 'WhatIfStarted', data: { total, at: now() } });
    const resolved = await this.d.resolver.resolve(run.request.spec);
    const prices = new ModelPrices(this.d.pool);
    let turns = run.done;
    let differences = run.differences;
    const left = chats.filter((c) => !run.replayedChats.has(c.created.chatId));
    // chats replay `concurrency` at a time; their reports are recorded in the order they were selected
    for (let i = 0; i < left.length; i += run.request.concurrency ?? 1) {
      const batch = left.slice(i, i + (run.request.concurrency ?? 1));
      const replayed = await Promise.all(batch.map((c) => this.replayChat(run, runId, c, resolved, prices)));
      for (const [j, reports] of replayed.entries()) {
        const parts = packed(reports.map(capped));
        for (const [k, part] of parts.entries())
          await append({
            type: 'WhatIfChatReplayed',
            data: {
              chatId: batch[j]!.created.chatId,
              turns: part,
              ...(k < parts.length - 1 ? { more: true } : {}),
            },
          });
        turns += reports.length;
        differences += reports.filter((r) => r.differs).length;
      }
    }
    await append({ type: 'WhatIfCompleted', data: { turns, differences, at: now() } });
  }

  /** the selected chats still there (an expired chat is left out), in the order they were selected */
  private async chats(ids: readonly string[]): Promise<RecordedChat[]> {
    const read = await Promise.all(
      ids.map(async (id) => recordedChat((await this.d.store.readStream(streams.chat(id))).map(upcast))),
    );
    return read.filter((c): c is RecordedChat => c !== undefined);
  }

  private async replayChat(
    run: WhatIfRun,
    runId: string,
    chat: RecordedChat,
    resolved: ResolvedModel,
    prices: ModelPrices,
  ): Promise<TurnReport[]> {
    const spec = run.request.spec;
    const context = {
      spec,
      resolved,
      chat: chat.created,
      policy: run.request.unrecorded,
      execute: {
        executions: this.d.executions,
        requester: run.request.requestedBy,
        runId,
        families: this.d.families,
        chat: { ...toolChatOf(spec, chat.created), userId: run.request.requestedBy },
        log: this.d.log,
      },
    };
    const tools = await candidateTools(this.d, { spec, chat: chat.created });
    const reports: TurnReport[] = [];
    // a chat recorded in parts before a crash goes on after its last recorded turn
    const reported = new Set(
      run.turns.filter((t) => t.chat_id === chat.created.chatId).map((t) => t.turn_id),
    );
    for (const turn of chat.turns.filter((t) => !reported.has(t.turnId))) {
      const candidate = await replayTurn(this.d, context, tools, turn);
      const original = turn.calls.map(({ name, arguments: a }) => ({ name, arguments: a }));
      const changes = callChanges(original, candidate.tool_calls);
      const differs =
        candidate.answer !== turn.answer ||
        changes.added.length + changes.dropped.length + changes.changed.length > 0;
      reports.push({
        chat_id: chat.created.chatId,
        turn_id: turn.turnId,
        index: turn.index,
        user: turn.user,
        original: {
          answer: turn.answer,
          tool_calls: original,
          usage: turn.usage,
          model: turn.model,
          cost: await prices.cost(turn.model, turn.usage),
        },
        candidate: { ...candidate, cost: await prices.cost(candidate.model, candidate.usage) },
        diff: textDiff(turn.answer, candidate.answer),
        tool_calls: changes,
        differs,
      });
    }
    return reports;
  }
}

const now = () => new Date().toISOString();
