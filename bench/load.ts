/** Load shapes: closed-loop writers for throughput, a timer-paced open loop for latency. */
import { performance } from 'node:perf_hooks';
import { sleep } from './io.js';

/**
 * `writers` loops each run `op` back to back for `durationMs`; returns completed ops per second.
 * Ops still in flight at the deadline finish (and are awaited) but don't count.
 */
export async function closedLoop(
  writers: number,
  durationMs: number,
  op: (writer: number) => Promise<unknown>,
): Promise<number> {
  const end = performance.now() + durationMs;
  let done = 0;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      while (performance.now() < end) {
        await op(w);
        if (performance.now() <= end) done++;
      }
    }),
  );
  return done / (durationMs / 1000);
}

/**
 * Calls `fire(i)` at `ratePerS`, spread evenly (the i-th call is due at start + i/rate), for
 * `durationMs`. `fire` must not block: it starts the work and tracks its own completion.
 * Returns how many calls were made.
 */
export async function paced(
  ratePerS: number,
  durationMs: number,
  fire: (i: number) => void,
): Promise<number> {
  const total = Math.floor((ratePerS * durationMs) / 1000);
  const start = performance.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * ratePerS) / 1000) + 1);
    while (sent < due) fire(sent++);
    const nextAt = start + (sent * 1000) / ratePerS;
    await sleep(Math.max(0, nextAt - performance.now() - 0.5));
  }
  return sent;
}
