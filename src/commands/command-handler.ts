/**
 * Runs a command against one stream: load (or take the cached state), fold, decide, append with the
 * expected revision, retry a bounded number of times on conflict. A command id already recorded in
 * the stream is not applied again: the first outcome is returned (Idempotency-Key, DESIGN §5).
 */
import { randomUUID } from 'node:crypto';
import { ConcurrencyError, PreconditionFailedError } from '../errors.js';
import type { EventStore, NewEvent, RecordedEvent } from '../events/event-store.js';
import { upcast } from '../events/upcasters.js';
import { checkedVersion, revisionOfVersion, versionOfRevision } from '../events/versions.js';
import type { Decider, DomainEvent } from './decider.js';
import { StateCache, type Loaded } from './state-cache.js';

export interface CommandContext {
  readonly commandId: string;
  readonly actor: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  /**
   * If-Match: the stream revision the client last saw (`expectedRevisionOf` its version); a mismatch
   * is a PreconditionFailedError
   */
  readonly expectedRevision?: bigint;
  /** extra metadata recorded on every event the command writes (a config apply's `managedBy`) */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface CommandResult<S> {
  readonly state: S;
  /** the stream's revision after the command; undefined if the stream still doesn't exist */
  readonly revision: bigint | undefined;
  /** `$all` position of the last event written, or of the earlier run for a duplicate */
  readonly position: bigint | undefined;
  readonly events: readonly NewEvent[];
  readonly duplicate: boolean;
}

/**
 * A command whose content depends on the state it is decided on (a conflict retry decides again,
 * on the fresh state): for input that is costly to gather and only needed in some states.
 */
export class CommandFor<C, S> {
  constructor(readonly make: (state: S) => C | Promise<C>) {}
}

export class CommandHandler {
  private readonly cache: StateCache;
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly store: EventStore,
    private readonly options: { maxRetries?: number; cacheSize?: number } = {},
  ) {
    this.cache = new StateCache(options.cacheSize ?? 5000);
  }

  /**
   * Commands on one stream run one after another within this process, so they never conflict with
   * each other (other processes' conflicts are caught by the expected revision and retried).
   */
  handle<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    stream: string,
    command: C | CommandFor<C, S>,
    ctx: CommandContext,
  ): Promise<CommandResult<S>> {
    const previous = this.running.get(stream);
    const run = (previous ?? Promise.resolve()).then(
      () => this.handleNow(decider, stream, command, ctx),
      () => this.handleNow(decider, stream, command, ctx),
    );
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.running.set(stream, tail);
    void tail.then(() => {
      if (this.running.get(stream) === tail) this.running.delete(stream);
    });
    return run;
  }

  private async handleNow<C, E extends DomainEvent, S>(
    decider: Decider<C, E, S>,
    stream: string,
    command: C | CommandFor<C, S>,
    ctx: CommandContext,
  ): Promise<CommandResult<S>> {
    const maxRetries = this.options.maxRetries ?? 5;
    for (let attempt = 0; ; attempt++) {
      const fresh = attempt > 0 || ctx.expectedRevision !== undefined;
      const cached = fresh ? undefined : this.cache.get<S>(stream);
      const loaded = cached ?? (await this.load(decider, stream, true));
      const seen = loaded.commands.get(ctx.commandId);
      if (seen !== undefined) {
        return {
          state: loaded.state,
          revision: loaded.revision,
          position: seen,
          events: [],
          duplicate: true,
        };
      }
      if (ctx.expectedRevision !== undefined && ctx.expectedRevision !== (loaded.revision ?? -1n)) {
        throw new PreconditionFailedError(
          `version ${versionOfRevision(ctx.expectedRevision)} is stale: the current version is ${loaded.revision === undefined ? 'none' : versionOfRevision(loaded.revision)}`,
          'If-Match',
        );
      }
      let decided: readonly E[];
      try {
        decided = decider.decide(
          command instanceof CommandFor ? await command.make(loaded.state) : command,
          loaded.state,
        );
      } catch (err) {
        if (!cached) throw err;
        continue; // the cached state may be stale (another process wrote since): decide on a fresh read
      }
      if (decided.length === 0 && cached) continue; // a no-op here may not be one on the current state
      if (decided.length === 0) {
        return {
          state: loaded.state,
          revision: loaded.revision,
          position: undefined,
          events: [],
          duplicate: false,
        };
      }
      const events = decided.map((e) => toNewEvent(e, ctx, decider.eventVersion ?? 1));
      try {
        const r = await this.store.append(stream, events, loaded.revision ?? 'no_stream');
        const state = decided.reduce((s, e) => decider.evolve(s, e), loaded.state);
        // the map is owned by the cache entry being replaced; commands on a stream run one at a time
        loaded.commands.set(ctx.commandId, r.position);
        this.cache.set(stream, { state, revision: r.nextExpectedRevision, commands: loaded.commands });
        return { state, revision: r.nextExpectedRevision, position: r.position, events, duplicate: false };
      } catch (err) {
        this.cache.delete(stream);
        if (!(err instanceof ConcurrencyError)) throw err;
        if (ctx.expectedRevision !== undefined) {
          throw new PreconditionFailedError('the resource changed while this request ran', 'If-Match');
        }
        if (attempt >= maxRetries) throw err;
      }
    }
  }

  /** The cached state of a stream, if any (possibly stale: for hints, never for decisions). */
  cached<S>(stream: string): S | undefined {
    return this.cache.get<S>(stream)?.state;
  }

  /** Caches a state the caller folded itself from a fresh read of the stream. */
  remember<S>(stream: string, loaded: Loaded<S>): void {
    if (loaded.revision === undefined) return;
    const known = this.cache.get<S>(stream)?.revision;
    if (known === undefined || known <= loaded.revision) this.cache.set(stream, loaded); // never an older one
  }

  /** The stream's revision as this process last wrote or read it, if cached: a floor for later reads. */
  knownRevision(stream: string): bigint | undefined {
    return this.cache.get(stream)?.revision;
  }

  /** Folds the stream (upcasting as it reads); `fresh` bypasses the cache. */
  async load<E extends DomainEvent, S>(
    decider: Decider<unknown, E, S>,
    stream: string,
    fresh = true,
  ): Promise<Loaded<S>> {
    const cached = fresh ? undefined : this.cache.get<S>(stream);
    if (cached) return cached;
    const recorded = (await this.store.readStream(stream)).map(upcast);
    const loaded = foldRecorded(decider, recorded);
    if (loaded.revision !== undefined) this.cache.set(stream, loaded);
    return loaded;
  }
}

/** The expected revision for an If-Match that names `version` (a 400 naming If-Match below 1). */
export function expectedRevisionOf(version: number): bigint {
  return revisionOfVersion(checkedVersion(version, 'If-Match'));
}

export function foldRecorded<E extends DomainEvent, S>(
  decider: Decider<unknown, E, S>,
  recorded: readonly RecordedEvent[],
): Loaded<S> {
  let state = decider.initialState;
  const commands = new Map<string, bigint>();
  for (const e of recorded) {
    state = decider.evolve(state, e as unknown as E);
    if (e.metadata.commandId) commands.set(e.metadata.commandId, e.position);
  }
  return { state, revision: recorded.at(-1)?.revision, commands };
}

function toNewEvent(e: DomainEvent, ctx: CommandContext, version: number): NewEvent {
  const id = randomUUID();
  return {
    id,
    type: e.type,
    data: e.data as Record<string, unknown>,
    metadata: {
      ...ctx.metadata,
      correlationId: ctx.correlationId ?? ctx.commandId,
      causationId: ctx.causationId ?? ctx.commandId,
      actor: ctx.actor,
      commandId: ctx.commandId,
      version,
    },
  };
}
