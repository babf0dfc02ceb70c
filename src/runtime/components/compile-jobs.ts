/**
 * Compiling components in the workers (reference §5.9: "background compilation"): a reactor turns
 * every new source (a create, an update that changed `source_code`, a compile request) into a
 * `compile` job named by the causing event, and the worker compiles the component's current source
 * and appends the outcome to its build stream with the revision it read, so a duplicate job (a
 * re-delivered event, a request made while a compile ran) records nothing twice.
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
import { compileComponent } from './compiler.js';

export const COMPILE_QUEUE = 'component-compile';

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
        if (job) await queue.add(COMPILE_QUEUE, 'compile', job, { jobId: e.id, attempts: 3 });
      }
    },
  };
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

/** Compiles the component's current source unless its outcome is recorded already. */
export async function compileNow(job: CompileJob, components: ResourceService, store: EventStore) {
  const item = await components
    .at(job.namespace, job.name)
    .catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
  if (item?.status !== 'active') return 'gone';
  const source = String(item.spec.source_code);
  const hash = sourceHash(source);
  const stream = componentStreams.build(item.id);
  const outcome = await compileComponent(source);
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

export async function startCompileWorkers(
  queue: JobQueue,
  components: ResourceService,
  store: EventStore,
): Promise<void> {
  await queue.process<CompileJob, string>(COMPILE_QUEUE, (job) => compileNow(job.data, components, store), {
    concurrency: 2,
  });
}
