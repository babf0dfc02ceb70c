/** Builds the package service and its read queries on the platform's config engine and read models. */
import type pg from 'pg';
import type { ConfigService } from '../../commands/config/config-service.js';
import { PackageService } from '../../commands/package/package-service.js';
import type { EventStore } from '../../events/event-store.js';
import { PackageQueries } from '../../projections/package-queries.js';
import { packagesProjection } from '../../projections/packages.js';
import { settleProjections } from '../../projections/settle.js';
import type { ProjectionWaiter } from '../../projections/waiter.js';

export interface Packages {
  readonly service: PackageService;
  readonly queries: PackageQueries;
}

export function packagesOn(
  p: { pool: pg.Pool; eventStore: EventStore; waiter: ProjectionWaiter },
  config: ConfigService,
  consistencyTimeoutMs: number,
): Packages {
  return {
    service: new PackageService({
      config,
      store: p.eventStore,
      settle: () =>
        settleProjections(p.pool, p.eventStore, p.waiter, [packagesProjection], consistencyTimeoutMs),
    }),
    queries: new PackageQueries(p.pool),
  };
}
