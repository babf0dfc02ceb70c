/**
 * The use cases of a configuration resource kind: validate, run the generic decider through the
 * command handler, keep unique flags unique, and report the `$all` position for read-your-writes.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { resourceEventKind } from '../../events/resources/resource-events.js';
import { streamName } from '../../events/stream-names.js';
import { upcast } from '../../events/upcasters.js';
import { checkedVersion, versionOfRevision } from '../../events/versions.js';
import type { CommandContext, CommandHandler } from '../command-handler.js';
import { foldRecorded } from '../command-handler.js';
import type { StreamCache } from '../../events/stream-cache.js';
import { checkSchema, validate } from '../validation.js';
import { resourceDecider, type ResourceData, type ResourceState } from './decider.js';
import type { ResourceKind } from './resource-kind.js';
import { createSchema, updateSchema } from './resource-schemas.js';

export interface ResourceVersion {
  readonly version: number;
  readonly type: string;
  readonly changed: readonly string[];
  readonly actor: string;
  readonly at: string;
}

export interface WriteResult {
  readonly resource: ResourceData & { readonly version: number };
  readonly position: bigint | undefined;
}

/** Finds other active resources that have a unique flag set (from the read model). */
export type FlagHolders = (
  kind: ResourceKind,
  flag: string,
) => Promise<{ namespace: string; name: string }[]>;

export interface ResourceServiceOptions {
  /** fields holding user-supplied JSON Schemas, which must themselves be valid */
  readonly schemaFields?: readonly string[];
  /** seals write-only values before they reach a command */
  readonly seal?: (value: string) => unknown;
  /**
   * kind-specific checks of the fields a create or update sets (code must parse; an agent's
   * functions must exist and be runnable by `ctx.actor`, the one saving it)
   */
  readonly checkSpec?: (
    spec: Readonly<Record<string, unknown>>,
    ctx: { readonly actor: string },
  ) => Promise<void>;
  /** where `current` reads (the process's stream cache); without it, `current` reads the store */
  readonly streams?: StreamCache;
}

export class ResourceService {
  private readonly decider;

  constructor(
    readonly kind: ResourceKind,
    private readonly store: EventStore,
    private readonly handler: CommandHandler,
    private readonly flagHolders: FlagHolders,
    private readonly options: ResourceServiceOptions = {},
  ) {
    this.decider = resourceDecider(kind);
  }

  stream(namespace: string, name: string): string {
    return streamName(this.kind.category, `${namespace}/${name}`);
  }

  async create(body: unknown, ctx: CommandContext, at = new Date()): Promise<WriteResult> {
    const input = validate<Record<string, unknown>>(createSchema(this.kind), structuredClone(body));
    await this.check(input, ctx);
    const {
      namespace = 'default',
      name,
      ...spec
    } = this.sealFields(input) as { namespace?: string; name: string };
    const r = await this.handler.handle(
      this.decider,
      this.stream(namespace, name),
      {
        type: 'Create',
        id: randomUUID(),
        namespace,
        name,
        ownerId: ctx.actor,
        spec,
        at: at.toISOString(),
      },
      ctx,
    );
    return this.afterWrite(r.state, r.revision, r.position, ctx, at);
  }

  async update(
    namespace: string,
    name: string,
    body: unknown,
    ctx: CommandContext,
    at = new Date(),
  ): Promise<WriteResult> {
    const patch = validate<Record<string, unknown>>(updateSchema(this.kind), structuredClone(body));
    for (const f of ['namespace', 'name'] as const) {
      if (patch[f] !== undefined && patch[f] !== (f === 'name' ? name : namespace)) {
        throw new ValidationError(
          `${f}: renaming is not supported; create a new ${this.kind.type.toLowerCase()}`,
          f,
        );
      }
      delete patch[f];
    }
    if (patch.is_active === false) return this.remove(namespace, name, ctx, at);
    delete patch.is_active;
    await this.check(patch, ctx);
    const r = await this.handler.handle(
      this.decider,
      this.stream(namespace, name),
      { type: 'Update', patch: this.sealFields(patch), at: at.toISOString() },
      ctx,
    );
    return this.afterWrite(r.state, r.revision, r.position, ctx, at);
  }

  async remove(namespace: string, name: string, ctx: CommandContext, at = new Date()): Promise<WriteResult> {
    const r = await this.handler.handle(
      this.decider,
      this.stream(namespace, name),
      { type: 'Delete', at: at.toISOString() },
      ctx,
    );
    if (r.state.status === 'absent') throw new NotFoundError(`${this.kind.type} not found`);
    return {
      resource: { ...stateData(r.state), version: versionOfRevision(r.revision) },
      position: r.position,
    };
  }

  /** The resource as it was at `version` (from 1; the latest without it), from the event store. */
  async at(
    namespace: string,
    name: string,
    version?: number,
  ): Promise<ResourceData & { version: number; status: string }> {
    if (version !== undefined) checkedVersion(version);
    const events = await this.store.readStream(this.stream(namespace, name), {
      ...(version !== undefined ? { fromRevision: 0n, maxCount: version } : {}),
    });
    if (version !== undefined && events.length < version)
      throw new NotFoundError(`version ${version} not found`, 'version');
    return this.folded(events);
  }

  /**
   * The latest version this process knows of, from its stream cache: what a running turn uses. It
   * can trail a change another process made a moment ago (by its notification delay), as a read
   * model can.
   */
  async current(
    namespace: string,
    name: string,
  ): Promise<ResourceData & { version: number; status: string }> {
    const stream = this.stream(namespace, name);
    return this.folded(await (this.options.streams?.read(stream) ?? this.store.readStream(stream)));
  }

  private folded(events: readonly RecordedEvent[]): ResourceData & { version: number; status: string } {
    const { state, revision } = foldRecorded(this.decider, events.map(upcast));
    if (state.status === 'absent') throw new NotFoundError(`${this.kind.type} not found`);
    return { ...stateData(state), version: versionOfRevision(revision), status: state.status };
  }

  async versions(namespace: string, name: string): Promise<ResourceVersion[]> {
    const events = await this.store.readStream(this.stream(namespace, name));
    if (events.length === 0) throw new NotFoundError(`${this.kind.type} not found`);
    return events.map((e) => toVersion(this.kind, upcast(e)));
  }

  /** Write-only values (API keys) are sealed before they reach a command, so events hold ciphertext only. */
  private sealFields(input: Record<string, unknown>): Record<string, unknown> {
    const out = { ...input };
    for (const f of this.kind.writeOnlyFields ?? []) {
      if (typeof out[f] !== 'string') continue;
      if (!this.options.seal) throw new Error(`${this.kind.type} has write-only fields but no sealer`);
      out[f] = this.options.seal(out[f]);
    }
    return out;
  }

  private async check(input: Record<string, unknown>, ctx: CommandContext): Promise<void> {
    for (const f of this.options.schemaFields ?? [])
      if (input[f] !== undefined && input[f] !== null) checkSchema(input[f], f);
    await this.options.checkSpec?.(input, ctx);
  }

  /** Clears a unique flag on the others when this write set it (each clear is its own recorded update). */
  private async afterWrite(
    state: ResourceState,
    revision: bigint | undefined,
    position: bigint | undefined,
    ctx: CommandContext,
    at: Date,
  ): Promise<WriteResult> {
    if (state.status !== 'active') throw new NotFoundError(`${this.kind.type} not found`);
    let last = position;
    for (const flag of this.kind.uniqueFlags ?? []) {
      if (state.spec[flag] !== true || position === undefined) continue;
      for (const other of await this.flagHolders(this.kind, flag)) {
        if (other.namespace === state.namespace && other.name === state.name) continue;
        const r = await this.handler
          .handle(
            this.decider,
            this.stream(other.namespace, other.name),
            { type: 'Update', patch: { [flag]: false }, at: at.toISOString() },
            {
              ...ctx,
              commandId: `${ctx.commandId}:${flag}:${other.namespace}/${other.name}`,
              expectedRevision: undefined,
            },
          )
          .catch((err) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
        if (r?.position !== undefined && (last === undefined || r.position > last)) last = r.position;
      }
    }
    return { resource: { ...stateData(state), version: versionOfRevision(revision) }, position: last };
  }
}

function stateData(s: Exclude<ResourceState, { status: 'absent' }>): ResourceData {
  const { id, namespace, name, ownerId, spec, createdAt, updatedAt } = s;
  return { id, namespace, name, ownerId, spec, createdAt, updatedAt };
}

function toVersion(kind: ResourceKind, e: RecordedEvent): ResourceVersion {
  const which = resourceEventKind(kind.type, e.type);
  const d = e.data as { at?: string; changed?: string[]; spec?: Record<string, unknown> };
  const changed =
    which === 'Updated'
      ? (d.changed ?? [])
      : which === 'Created'
        ? ['namespace', 'name', ...Object.keys(d.spec ?? {})]
        : [];
  return {
    version: versionOfRevision(e.revision),
    type: e.type,
    changed,
    actor: e.metadata.actor,
    at: d.at ?? e.createdAt.toISOString(),
  };
}
