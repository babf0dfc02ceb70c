/**
 * Starts and reads what-if runs: a request becomes WhatIfRequested on a fresh `whatif-<run id>`
 * stream (the candidate spec resolved: a stored version, or the agent's current spec with the
 * candidate's fields over it; the chats selected and checked) and a job that replays it.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Observable } from 'rxjs';
import { NotFoundError } from '../../errors.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import type { JobQueue } from '../queue/job-queue.js';
import { selectChats, type ChatFilter, type Reader } from './chat-selection.js';
import { enqueueWhatIf } from './whatif-jobs.js';
import { foldWhatIf, whatIfStream, type UnrecordedPolicy, type WhatIfRun } from './whatif-events.js';

export interface WhatIfRequest {
  /** agent fields over its current spec; or `{version: N}`: that stored version as it was */
  readonly candidate?: Readonly<Record<string, unknown>>;
  readonly chats?: readonly string[];
  readonly filter?: ChatFilter;
  readonly unrecorded?: UnrecordedPolicy;
  /** how many chats replay at once (a provider's rate limit may want fewer); default 8 */
  readonly concurrency?: number;
}

export const DEFAULT_CONCURRENCY = 8;

export interface AgentItem {
  readonly namespace: string;
  readonly name: string;
  readonly ownerId: string;
}

export class WhatIfService {
  constructor(
    private readonly d: {
      readonly store: EventStore;
      readonly pool: Pick<pg.Pool, 'query'>;
      readonly agents: ResourceService;
      readonly queue: JobQueue;
      /**
       * false in an API-only process on its own in-process queue, which no worker reads: the
       * workers' reactor enqueues the run from its WhatIfRequested instead (whatif-jobs.ts)
       */
      readonly enqueueHere: boolean;
    },
  ) {}

  async start(
    agent: AgentItem,
    req: WhatIfRequest,
    reader: Reader,
  ): Promise<{ runId: string; total: number }> {
    const { version, ...fields } = req.candidate ?? {};
    const stored = await this.d.agents.at(
      agent.namespace,
      agent.name,
      version as number | undefined,
      agent.ownerId,
    );
    const spec = version === undefined ? { ...stored.spec, ...fields } : stored.spec;
    const chats = await selectChats(this.d.pool, agent, req, reader);
    this.d.queue.assertAvailable();
    const runId = randomUUID();
    await this.d.store.append(
      whatIfStream(runId),
      [
        {
          id: randomUUID(),
          type: 'WhatIfRequested',
          data: {
            runId,
            agent: { namespace: agent.namespace, name: agent.name },
            spec,
            version: (version as number | undefined) ?? null,
            chats,
            unrecorded: req.unrecorded ?? 'fail',
            concurrency: req.concurrency ?? DEFAULT_CONCURRENCY,
            requestedBy: reader.userId,
            at: new Date().toISOString(),
          },
          metadata: { correlationId: runId, causationId: runId, actor: reader.userId, version: 1 },
        },
      ],
      'no_stream',
    );
    if (this.d.enqueueHere) await enqueueWhatIf(this.d.queue, runId);
    return { runId, total: chats.length };
  }

  /** The run's events, when it is a run of `agent` the reader may see (else a 404). */
  async events(
    agent: AgentItem,
    runId: string,
    reader: Reader & { isAdmin: boolean },
  ): Promise<RecordedEvent[]> {
    const events = await this.d.store.readStream(whatIfStream(runId));
    const run = foldWhatIf(events);
    if (!run || !sameAgent(run, agent) || !(reader.isAdmin || run.request.requestedBy === reader.userId))
      throw new NotFoundError('what-if run not found', 'run_id');
    return events;
  }

  /** The run's events after `afterRevision` (all without it), then live ones as they are recorded. */
  follow(runId: string, afterRevision?: bigint): Observable<RecordedEvent> {
    return this.d.store.subscribeToStream(
      whatIfStream(runId),
      afterRevision !== undefined ? { afterRevision } : {},
    );
  }

  async get(agent: AgentItem, runId: string, reader: Reader & { isAdmin: boolean }): Promise<WhatIfRun> {
    return foldWhatIf(await this.events(agent, runId, reader))!;
  }
}

const sameAgent = (run: WhatIfRun, a: AgentItem) =>
  run.request.agent.namespace === a.namespace && run.request.agent.name === a.name;
