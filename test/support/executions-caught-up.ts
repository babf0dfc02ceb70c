/**
 * Waits until the executions read model has projected the last execution event written so far
 * (not the store's head: it never reaches events it does not project). A test that has seen a run
 * end on its own stream (a trigger's batch settled, a schedule's tick fired) reads `/executions`
 * after this, never before: on a loaded machine the read model is seconds behind.
 */
import { expect } from 'chai';
import type { TestPlatform } from './platform.js';

export async function executionsCaughtUp(t: TestPlatform, timeoutMs = 100_000): Promise<void> {
  const { pool, waiter } = t.platform.services;
  const { rows } = await pool.query<{ last: string | null }>(
    "SELECT max(position)::text AS last FROM es_events WHERE stream_name LIKE 'execution-%'",
  );
  if (!rows[0]?.last) return;
  const reached = await waiter.waitFor(['executions'], BigInt(rows[0].last), timeoutMs);
  expect(reached, 'the executions read model reached the last execution event').to.equal(true);
}
