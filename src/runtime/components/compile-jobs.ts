/**
 * Compiling components in the workers (reference §5.9: "background compilation"): a reactor turns
 * every new source (a create, an update that changed `source_code`, a compile request) into a
 * `compile` job named by the causing event, and the worker compiles the component's current source
 * and appends the outcome to its build stream with the revision it read, so a duplicate job (a
 * re-delivered event, a request made while a compile ran) records nothing twice. A compiler that
 * crashes (rather than report errors in the source) is retried; its last attempt records an `error`
 * naming the crash, so a build never stays pending because of it (compile-sweep.ts finds the builds
 * whose worker died).
 */
import { ConcurrencyError, NotFoundError } from '../../errors.js';
import {
  buildOf,
  componentEvent,
  componentStreams,
  sourceHash,
  type ComponentBuildEvent,
} from '../../events/component-events.js';
import type { EventStore } from '../../events/event-store.js';
import { idOf } from '../../events/stream-names.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { Projection } from '../../projections/projection.js';
import type { JobQueue } from '../queue/job-queue.js';
import { compileComponent, type CompileOutcome } from './compiler.js';

export const COMPILE_QUEUE = 'component-compile';
/** runs of a compile job, the first included */
export const COMPILE_ATTEMPTS = 3;

export type Compiler = (source: string) => Promise<CompileOutcome>;

export interface CompileJob {
  readonly namespace: string;
  readonly name: string;
}

/** Enqueues a compile for each event that brings a new source to compile. */
export function compileReactor(queue: JobQueue): Projection {
  return {
    name: 'reactor_component_compile',
    version: 1,
    filter: {
      categories: ['component', 'componentbuild'],
      eventTypes: ['ComponentCreated', 'ComponentUpdated', 'ComponentCompileRequested'],
    },
    tables: [],
    createTables: () => 'SELECT 1',
    async apply(_tx, events) {
      for (const e of events) {
        const job = jobOf(e.type, e.streamName, e.data);
        if (job) await enqueueCompile(queue, job, e.id);
      }
    },
  };
}

/** a compile job named by the event that asked for it (a re-delivered event adds nothing) */
export function enqueueCompile(queue: JobQueue, job: CompileJob, eventId: string): Promise<string> {
  return queue.add(COMPILE_QUEUE, 'compile', job, { jobId: eventId, attempts: COMPILE_ATTEMPTS });
}

function jobOf(
  type: string,
  stream: string,
  data: Readonly<Record<string, unknown>>,
): CompileJob | undefined {
  if (type === 'ComponentUpdated' && !(data.changed as string[] | undefined)?.includes('source_code'))
    return undefined;
  if (type !== 'ComponentCompileRequested') {
    const [namespace, name] = idOf(stream).split('/', 2) as [string, string];
    return { namespace, name };
  }
  return { namespace: String(data.namespace), name: String(data.name) };
}

/** How a compile runs: its compiler, and whether a crash of it is the job's last attempt. */
export interface CompileRun {
  readonly compile: Compiler;
  readonly lastAttempt: boolean;
}

/** Compiles the component's current source unless its outcome is recorded already. */
export async function compileNow(
  job: CompileJob,
  components: ResourceService,
  store: EventStore,
  run: CompileRun = { compile: compileComponent, lastAttempt: true },
) {
  const item = await components
    .at(job.namespace, job.name)
    .catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
  if (item?.status !== 'active') return 'gone';
  const source = String(item.spec.source_code);
  const hash = sourceHash(source);
  const stream = componentStreams.build(item.id);
  const outcome = await compileOrCrash(source, run);
  for (let attempt = 0; attempt < 5; attempt++) {
    const events = await store.readStream(stream);
    if (buildOf(events, hash).status !== 'pending') return 'recorded';
    const event: ComponentBuildEvent = {
      type: 'ComponentCompiled',
      data: {
        componentId: item.id,
        sourceHash: hash,
        status: outcome.ok ? 'success' : 'error',
        bundle: outcome.ok ? outcome.bundle : null,
        sourceMap: outcome.ok ? (outcome.sourceMap ?? null) : null,
        errors: outcome.ok ? [] : outcome.errors,
        at: new Date().toISOString(),
      },
    };
    const last = events.at(-1)?.revision;
    try {
      await store.append(stream, [componentEvent(event)], last === undefined ? 'no_stream' : last);
      return outcome.ok ? 'success' : 'error';
    } catch (err) {
      if (!(err instanceof ConcurrencyError)) throw err; // another run wrote: read again
    }
  }
  throw new Error(`the build stream of ${job.namespace}/${job.name} kept changing`);
}

/** The compiler's outcome; a crash of it is thrown for a retry, or on the last attempt an error. */
async function compileOrCrash(source: string, run: CompileRun): Promise<CompileOutcome> {
  try {
    return await run.compile(source);
  } catch (err) {
    if (!run.lastAttempt) throw err; // the queue runs the job again
    const text = `the compiler failed ${COMPILE_ATTEMPTS} times: ${(err as Error).message}`;
    return { ok: false, errors: [{ text, line: null, column: null }] };
  }
}

export async function startCompileWorkers(
  queue: JobQueue,
  components: ResourceService,
  store: EventStore,
  compile: Compiler = compileComponent,
): Promise<void> {
  await queue.process<CompileJob, string>(
    COMPILE_QUEUE,
    (job) =>
      compileNow(job.data, components, store, {
        compile,
        lastAttempt: job.attemptsMade + 1 >= COMPILE_ATTEMPTS,
      }),
    { concurrency: 2 },
  );
}
