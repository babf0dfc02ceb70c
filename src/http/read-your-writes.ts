/**
 * How a write route waits for its read models before answering: until they hold the write's
 * position, bounded by the consistency timeout. A read model still behind then is no error: the
 * answer goes out with `Sinas-Consistency: pending`, so a client knows a read may not show it yet.
 */
import type { Response } from 'express';
import type { ProjectionWaiter } from '../projections/waiter.js';

export interface ReadYourWritesDeps {
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
}

export async function readYourWrites(
  d: ReadYourWritesDeps,
  readModels: readonly string[],
  position: bigint | undefined,
  res: Response,
): Promise<void> {
  if (!(await d.waiter.waitFor(readModels, position, d.consistencyTimeoutMs)))
    res.setHeader('Sinas-Consistency', 'pending');
}
