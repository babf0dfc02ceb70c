/**
 * How saved queries are built on the platform's parts: the one place the execute routes, the
 * query tool family, tests and the bench construct them, so they all run queries the same way.
 */
import type { Logger } from 'pino';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { EventStore } from '../../events/event-store.js';
import type { IdentityQueries } from '../../projections/identity-queries.js';
import type { DataSources } from '../data-sources/data-sources.js';
import type { ToolFamily } from '../turns/tool-family.js';
import { QueryExecutor } from './query-executor.js';
import { queryFamily } from './query-family.js';
import { cachedEmails, QueryRuns } from './query-runs.js';

export interface QueryParts {
  /** the Query kind's service (`services.kinds.queries`) */
  readonly queries: ResourceService;
  readonly dataSources: DataSources;
  readonly store: EventStore;
  readonly identity: Pick<IdentityQueries, 'user' | 'permissionsOf'>;
  readonly log: Pick<Logger, 'warn'>;
}

export function queryRunsOn(p: QueryParts): QueryRuns {
  return new QueryRuns({
    queries: p.queries,
    executor: new QueryExecutor(p.dataSources),
    store: p.store,
    emailOf: cachedEmails((id) => p.identity.user(id)),
    log: p.log,
  });
}

/** The `query` tool family: the chat user's permissions are read at each call. */
export function queryFamilyOn(p: QueryParts): ToolFamily {
  return queryFamily({
    runs: queryRunsOn(p),
    permissionsOf: async (id) => (await p.identity.permissionsOf(id)).permissions,
  });
}
