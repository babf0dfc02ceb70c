/**
 * The one path an administrator's command to the worker processes takes: the API appends
 * `AdminCommandIssued` to the `system-admin` stream; every worker process follows that stream
 * (./admin-follower.ts), applies the command to its own pools and appends `AdminCommandApplied`
 * with what it did. The API answers once the command is recorded and after waiting, bounded, for
 * the live workers (their heartbeats) to report it applied: the answer sums the reports that came
 * and says how many workers were expected, so a worker that was late still applies it, unseen.
 */
import { randomUUID } from 'node:crypto';
import type { Subscription } from 'rxjs';
import type { EventStore, NewEvent, RecordedEvent } from '../../events/event-store.js';
import { streamName } from '../../events/stream-names.js';
import type { PoolName } from '../functions/function-runner.js';

export const ADMIN_STREAM = streamName('system', 'admin');

/** What an administrator asks every worker process to do to one of its pools. */
export type AdminCommand =
  | { readonly kind: 'scale'; readonly pool: PoolName; readonly target: number }
  | { readonly kind: 'reload'; readonly pool: PoolName }
  /** one function container, by the name the containers view shows */
  | { readonly kind: 'restart'; readonly pool: PoolName; readonly name: string };

/** A worker's report: the pool's own answer (PoolResize, PoolRecycle), or why it could not. */
export type AdminReport = Readonly<Record<string, unknown>>;

export interface AppliedReport {
  readonly workerId: string;
  readonly report: AdminReport;
}

function event(type: string, data: Record<string, unknown>, actor: string): NewEvent {
  const id = randomUUID();
  return { id, type, data, metadata: { correlationId: id, causationId: id, actor, version: 1 } };
}

/** The command as an event's data says it, or undefined for any other event of the stream. */
export function commandOf(e: RecordedEvent): (AdminCommand & { commandId: string }) | undefined {
  if (e.type !== 'AdminCommandIssued') return undefined;
  return e.data as unknown as AdminCommand & { commandId: string };
}

export async function issueCommand(
  store: EventStore,
  command: AdminCommand,
  actor: string,
): Promise<{ commandId: string; revision: bigint }> {
  const commandId = randomUUID();
  const { nextExpectedRevision } = await store.append(
    ADMIN_STREAM,
    [event('AdminCommandIssued', { ...command, commandId }, actor)],
    'any',
  );
  return { commandId, revision: nextExpectedRevision };
}

export async function reportApplied(
  store: EventStore,
  commandId: string,
  workerId: string,
  report: AdminReport,
): Promise<void> {
  await store.append(
    ADMIN_STREAM,
    [event('AdminCommandApplied', { commandId, workerId, report }, 'system')],
    'any',
  );
}

/**
 * The reports of `commandId` appended after `revision`, once `expected` workers sent theirs or
 * `timeoutMs` passed (then the ones that came).
 */
export function awaitReports(
  store: EventStore,
  at: { commandId: string; revision: bigint },
  expected: number,
  timeoutMs: number,
): Promise<AppliedReport[]> {
  const reports: AppliedReport[] = [];
  if (expected <= 0) return Promise.resolve(reports);
  return new Promise((resolve, reject) => {
    let finished = false;
    const timer = setTimeout(() => done(), timeoutMs);
    let sub: Subscription | undefined = undefined;
    sub = store.subscribeToStream(ADMIN_STREAM, { afterRevision: at.revision }).subscribe({
      next: (e) => {
        const d = e.data as { commandId?: string; workerId?: string; report?: AdminReport };
        if (finished || e.type !== 'AdminCommandApplied' || d.commandId !== at.commandId) return;
        reports.push({ workerId: String(d.workerId), report: d.report ?? {} });
        if (reports.length >= expected) done();
      },
      error: (err: unknown) => {
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    });
    if (finished) sub.unsubscribe(); // the reports were all there as it caught up
    function done() {
      finished = true;
      clearTimeout(timer);
      sub?.unsubscribe(); // unset while the subscription is still catching up

      resolve(reports);
    }
  });
}

export interface CommandOutcome {
  /** per command, in order: the reports of the workers that applied it within the wait */
  readonly reports: readonly (readonly AppliedReport[])[];
  readonly waited: { readonly workers_expected: number; readonly workers_applied: number };
}

/** Issues commands to every worker process and waits, bounded, for the live ones' reports. */
export class AdminCommands {
  constructor(
    private readonly d: {
      readonly store: EventStore;
      /** the worker processes alive (their heartbeats): the reports to wait for */
      readonly liveWorkers: () => Promise<number>;
      /** how long to wait for their reports */
      readonly waitMs: number;
    },
  ) {}

  async run(commands: readonly AdminCommand[], actor: string): Promise<CommandOutcome> {
    const { store, waitMs } = this.d;
    const expected = await this.d.liveWorkers();
    const issued = await Promise.all(commands.map((c) => issueCommand(store, c, actor)));
    const reports = await Promise.all(issued.map((at) => awaitReports(store, at, expected, waitMs)));
    const applied = Math.min(...reports.map((r) => r.length));
    return { reports, waited: { workers_expected: expected, workers_applied: applied } };
  }
}
