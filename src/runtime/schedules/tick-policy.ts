/**
 * The missed-tick policy (README "Schedules"): a tick up to a minute late fires on its own; ticks
 * missed for longer (every worker down, the schedule paused) fire once, as the latest of them.
 * A claim with no outcome after 15 seconds is taken to be a dead worker's, and finished by another.
 */
import type { TickPolicy } from '../../commands/schedule/tick-decider.js';

export const TICK_POLICY: TickPolicy = { graceMs: 60_000, staleClaimMs: 15_000 };
