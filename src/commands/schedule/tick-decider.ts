/**
 * Which tick of a schedule is due now: a pure decision over the schedule, what its tick stream says
 * happened, and "now" (no clock, no I/O), so any number of workers reach the same answer and the
 * append of the claim settles who fires it.
 *
 * Ticks count on from the last claimed due time (from the schedule's creation before the first).
 * Missed ticks: a tick up to `graceMs` late fires on its own, in order; when the oldest unclaimed tick
 * is later than that (every worker was down, or the schedule was paused), the missed ticks fire
 * once, as the latest of them, and the claim records how many were folded in (`skipped`).
 * A claim with no outcome was made by a worker that may have died: after `staleClaimMs` any
 * worker finishes it (firing is idempotent: the execution or chat id derives from the tick).
 */
import { latestTick, nextTick, ticksBetween } from './cron.js';

export interface TickSchedule {
  readonly cron: string;
  readonly timezone: string;
  readonly active: boolean;
  readonly createdAt: Date;
}

/** What the tick stream's last event says. */
export interface TickHistory {
  /** the due time of the last claimed tick */
  readonly lastDue?: Date;
  /** the last claim has no outcome yet: when it was made */
  readonly openClaimAt?: Date;
}

export interface TickPolicy {
  readonly graceMs: number;
  readonly staleClaimMs: number;
}

export type TickDecision =
  /** nothing to do until `next` (undefined: until the schedule changes) */
  | { readonly kind: 'idle'; readonly next: Date | undefined }
  /** claim the tick due at `due` */
  | { readonly kind: 'claim'; readonly due: Date; readonly skipped: number }
  /** the last claim is someone's, maybe dead: finish it (fire, record the outcome) */
  | { readonly kind: 'finish'; readonly due: Date };

/** the most ticks counted one by one when folding missed ones (beyond it the count is a floor) */
const COUNT_LIMIT = 10_000;

export function decideTick(s: TickSchedule, h: TickHistory, now: Date, p: TickPolicy): TickDecision {
  if (h.openClaimAt && h.lastDue) {
    const staleAt = new Date(h.openClaimAt.getTime() + p.staleClaimMs);
    return staleAt <= now ? { kind: 'finish', due: h.lastDue } : { kind: 'idle', next: staleAt };
  }
  if (!s.active) return { kind: 'idle', next: undefined };
  const from = h.lastDue ?? s.createdAt;
  const first = nextTick(s.cron, s.timezone, from);
  if (first > now) return { kind: 'idle', next: first };
  if (now.getTime() - first.getTime() <= p.graceMs) return { kind: 'claim', due: first, skipped: 0 };
  const latest = latestTick(s.cron, s.timezone, now);
  const { ticks } = ticksBetween(s.cron, s.timezone, from, latest, COUNT_LIMIT);
  return { kind: 'claim', due: latest, skipped: Math.max(ticks.length - 1, 0) };
}
