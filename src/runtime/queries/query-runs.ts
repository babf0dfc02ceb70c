/**
 * Who may run a saved query, and the record of each run. The rule is the functions' (reference
 * §4.1, applied on every path): `sinas.queries/<ns>/<name>.execute:all`, or `…execute:own` and
 * owning the query; permissions as they are now. A run through the execute endpoints is recorded
 * as a `QueryExecuted` event in the caller's `queryrun-<user>` stream (who, which query at
 * which version, the input they sent, the outcome and its size, never the rows), so it is in the
 * audit log and the caller's own timeline like any other event. A write is recorded before it is
 * answered (it changed the user's database: the record must exist). A read is answered first and
 * recorded right after: the append's commit (an fsync) would otherwise be most of a read's cost
 * (`npm run bench query_call`); a record that fails then is logged with the query and the user.
 * A run as an agent's tool is recorded by the chat (its ToolCallCompleted carries the same
 * detail), so it is not recorded twice.
 */
import { randomUUID } from 'node:crypto';
import { canAct, itemPermission, type PermissionMap } from '../../commands/identity/permissions.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { ForbiddenError, NotFoundError, SinasError } from '../../errors.js';
import type { Logger } from 'pino';
import type { EventStore } from '../../events/event-store.js';
import { streamName } from '../../events/stream-names.js';
import type { QueryCaller, QueryExecutor, QueryResult, QuerySpec, SavedQuery } from './query-executor.js';

export interface FoundQuery extends SavedQuery {
  readonly id: string;
  readonly ownerId: string;
  readonly version: number;
  readonly description: string | null;
}

/** Who runs it, with what they hold now (an administrator: everything). */
export interface QueryRunner {
  readonly userId: string;
  readonly permissions: PermissionMap;
}

export interface QueryRunsDeps {
  readonly queries: Pick<ResourceService, 'current'>;
  readonly executor: QueryExecutor;
  readonly store: EventStore;
  /** the user's email (their `user_email` parameter), null when they have none */
  readonly emailOf: (userId: string) => Promise<string | null>;
  /** where a read's record that failed after its answer is reported */
  readonly log: Pick<Logger, 'warn'>;
}

/** its own category: no projection reads it, so a run wakes none (the chats projection reads `audit`) */
export const queryAuditStream = (userId: string) => streamName('queryrun', userId);

export class QueryRuns {
  constructor(private readonly d: QueryRunsDeps) {}

  /** The active query `ns/name` (NotFoundError otherwise). */
  async find(namespace: string, name: string): Promise<FoundQuery> {
    const q = await this.d.queries.current(namespace, name);
    if (q.status !== 'active') throw new NotFoundError('Query not found');
    return {
      id: q.id,
      namespace,
      name,
      ownerId: q.ownerId,
      version: q.version,
      description: (q.spec.description as string | null | undefined) ?? null,
      spec: q.spec as unknown as QuerySpec,
    };
  }

  /** Throws ForbiddenError unless `who` may execute `q`. */
  check(who: QueryRunner, q: FoundQuery): void {
    const item = { namespaced: true as const, namespace: q.namespace, name: q.name };
    const req = { ...item, resource: 'queries', action: 'execute', ownerId: q.ownerId, callerId: who.userId };
    if (canAct(who.permissions, req)) return;
    const all = itemPermission('queries', item, 'execute', 'all');
    throw new ForbiddenError(
      `not permitted to execute query '${q.namespace}/${q.name}': it needs ${all}, or ${all.replace(/:all$/, ':own')} and owning it`,
    );
  }

  /** Runs `q` for a caller already checked, as `userId`. */
  async run(q: FoundQuery, input: Readonly<Record<string, unknown>>, userId: string): Promise<QueryResult> {
    const caller: QueryCaller = { userId, email: await this.d.emailOf(userId) };
    return this.d.executor.execute(q, input, caller);
  }

  /** The execute endpoints: find, check, run, and record the run (its failure too). */
  async execute(
    namespace: string,
    name: string,
    input: Readonly<Record<string, unknown>>,
    who: QueryRunner,
    commandId?: string,
  ): Promise<QueryResult> {
    const q = await this.find(namespace, name);
    this.check(who, q);
    const record = (outcome: Readonly<Record<string, unknown>>) =>
      this.settle(q, who.userId, this.record(q, input, who.userId, commandId, outcome));
    let r: QueryResult;
    try {
      r = await this.run(q, input, who.userId);
    } catch (err) {
      // a bad input or a failed statement is a run too; a bug is not recorded as one
      if (err instanceof SinasError) await record({ status: 'error', code: err.code, error: err.message });
      throw err;
    }
    const { operation, rowCount, affectedRows, truncated, durationMs } = r;
    await record({ status: 'ok', operation, rowCount, affectedRows, truncated, durationMs });
    return r;
  }

  /** A write's record is awaited; a read's goes on after the answer, a failure logged. */
  private async settle(q: FoundQuery, userId: string, recorded: Promise<void>): Promise<void> {
    if (q.spec.operation === 'write') return recorded;
    recorded.catch((err: unknown) =>
      this.d.log.warn(
        { err, query: `${q.namespace}/${q.name}`, userId },
        'query run: its record could not be appended',
      ),
    );
  }

  private async record(
    q: FoundQuery,
    input: Readonly<Record<string, unknown>>,
    userId: string,
    commandId: string | undefined,
    outcome: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    const id = randomUUID();
    const data = {
      userId,
      queryId: q.id,
      namespace: q.namespace,
      name: q.name,
      version: q.version,
      input,
      ...outcome,
      at: new Date().toISOString(),
    };
    const metadata = {
      correlationId: commandId ?? id,
      causationId: commandId ?? id,
      actor: userId,
      version: 1,
    };
    await this.d.store.append(
      queryAuditStream(userId),
      [{ id, type: 'QueryExecuted', data, metadata: { ...metadata, ...(commandId ? { commandId } : {}) } }],
      'any',
    );
  }
}

const EMAIL_CACHE_MS = 5_000;

/** A user's email, read from the identity read model and kept a few seconds (as API keys are). */
export function cachedEmails(user: (id: string) => Promise<{ email?: string | null } | undefined>) {
  const cache = new Map<string, { email: string | null; until: number }>();
  return async (userId: string): Promise<string | null> => {
    const hit = cache.get(userId);
    if (hit && hit.until > Date.now()) return hit.email;
    const email = (await user(userId))?.email ?? null;
    if (cache.size > 10_000) cache.clear();
    cache.set(userId, { email, until: Date.now() + EMAIL_CACHE_MS });
    return email;
  };
}
