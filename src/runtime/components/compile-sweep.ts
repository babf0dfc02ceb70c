/**
 * Builds whose worker died: a compile job lives in the queue, and a worker killed mid-compile can
 * take it along (the in-process queue dies with its process; BullMQ gives a job up after it stalled
 * too often), leaving the build pending with no one at work on it. The sweep takes a build pending
 * for longer than a compile ever takes as lost and asks for it again (a `ComponentCompileRequested`
 * with `revival: n`, appended at the revision it read, so many workers sweeping at once ask once);
 * after `MAX_COMPILE_REVIVALS` such tries in a row it records the build as an `error` saying why,
 * so a source that kills its compiler every time does not stay pending forever.
 */
import type pg from 'pg';
import { ConcurrencyError } from '../../errors.js';
import {
  buildOf,
  componentEvent,
  componentStreams,
  sourceHash,
  type ComponentBuildEvent,
} from '../../events/component-events.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import type { JobQueue } from '../queue/job-queue.js';
import { enqueueCompile } from './compile-jobs.js';

/** how long a build may stay pending before the sweep takes its job as lost */
export const LOST_COMPILE_MS = 5 * 60_000;
/** tries in a row of a lost build before the sweep records it as an error */
export const MAX_COMPILE_REVIVALS = 2;

interface Row {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly source: string;
  readonly updated_at: Date;
}

export interface CompileSweepDeps {
  readonly pool: pg.Pool;
  readonly store: EventStore;
  readonly queue: JobQueue;
}

/** Asks again for (or ends) every build pending longer than `lostAfterMs`; returns how many. */
export async function sweepComponentBuilds(
  d: CompileSweepDeps,
  lostAfterMs = LOST_COMPILE_MS,
): Promise<number> {
  const cutoff = Date.now() - lostAfterMs;
  const { rows } = await d.pool
    .query<Row>(
      `SELECT id, namespace, name, spec->>'source_code' AS source, updated_at FROM components
        WHERE updated_at <= $1 ORDER BY updated_at DESC LIMIT 1000`,
      [new Date(cutoff)],
    )
    .catch(() => ({ rows: [] as Row[] })); // read model not there yet, or the database down: the next sweep tries again
  let n = 0;
  for (const row of rows) if (await sweepOne(d, row, cutoff)) n++;
  return n;
}

async function sweepOne(d: CompileSweepDeps, row: Row, cutoff: number): Promise<boolean> {
  const stream = componentStreams.build(row.id);
  const events = await d.store.readStream(stream);
  const hash = sourceHash(row.source);
  if (buildOf(events, hash).status !== 'pending') return false;
  const about = events.filter((e) => e.data.sourceHash === hash);
  const since = about.at(-1)?.createdAt ?? row.updated_at;
  if (since.getTime() > cutoff) return false;
  const revivals = trailingRevivals(about);
  const base = { componentId: row.id, sourceHash: hash, at: new Date().toISOString() };
  const event: ComponentBuildEvent =
    revivals >= MAX_COMPILE_REVIVALS
      ? {
          type: 'ComponentCompiled',
          data: { ...base, status: 'error', bundle: null, errors: [gaveUp(revivals)] },
        }
      : {
          type: 'ComponentCompileRequested',
          data: { ...base, namespace: row.namespace, name: row.name, revival: revivals + 1 },
        };
  const recorded = componentEvent(event);
  const last = events.at(-1)?.revision;
  try {
    await d.store.append(stream, [recorded], last === undefined ? 'no_stream' : last);
  } catch (err) {
    if (err instanceof ConcurrencyError) return false; // another worker swept it, or its compile ended
    throw err;
  }
  // the reactor enqueues it too, under the same id: whichever comes first runs it
  if (event.type === 'ComponentCompileRequested')
    await enqueueCompile(d.queue, { namespace: row.namespace, name: row.name }, recorded.id);
  return true;
}

/** how many of the last requests about a source the sweep made, in a row */
function trailingRevivals(about: readonly RecordedEvent[]): number {
  let n = 0;
  for (let i = about.length - 1; i >= 0; i--) {
    const e = about[i]!;
    if (e.type !== 'ComponentCompileRequested' || typeof e.data.revival !== 'number') break;
    n++;
  }
  return n;
}

const gaveUp = (revivals: number) => ({
  text: `the compile never finished: its worker stopped ${revivals + 1} times (the source may crash the compiler); compile again to retry`,
  line: null,
  column: null,
});
