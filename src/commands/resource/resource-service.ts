/**
 * The use cases of a kind: validate, run the generic decider through the command handler, seal
 * write-only values, keep unique flags unique, and report the `$all` position for read-your-writes.
 * Hooks (the options) add what a kind needs beyond that: generated values, a per-item sealing key,
 * checks of the fields against the world, a clean-up after a delete.
 */
import { randomUUID } from 'node:crypto';
import { NotFoundError, ValidationError } from '../../errors.js';
import type { EventStore, RecordedEvent } from '../../events/event-store.js';
import { resourceEventKind, resourceStreamId } from '../../events/resources/resource-events.js';
import { streamName } from '../../events/stream-names.js';
import { upcast } from '../../events/upcasters.js';
import type { CommandContext, CommandHandler } from '../command-handler.js';
import { CommandFor, foldRecorded } from '../command-handler.js';
import type { StreamCache } from '../../events/stream-cache.js';
import { checkSchema, validate } from '../validation.js';
import { blanksAsNone } from './icon-field.js';
import {
  resourceDecider,
  StaleIncarnationError,
  type Caller,
  type ResourceCommand,
  type ResourceData,
  type ResourceState,
} from './decider.js';
import {
  byId,
  hasLifecycleApi,
  keyFieldOf,
  labelOf,
  namespaceName,
  ownershipOf,
  PRIVATE_NAMESPACE,
  SHARED_NAMESPACE,
  writableFields,
  type ResourceKind,
} from './resource-kind.js';
import { createSchema, updateSchema } from './resource-schemas.js';
import { checkedVersion, revisionOfVersion, versionOf } from './version.js';

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
  /** a create made it (false: an upsert updated an existing one, or a retried request) */
  readonly created?: boolean;
  /** what the create's hook returns to the creator once (a subscription's signing secret) */
  readonly reply?: Readonly<Record<string, unknown>>;
}

/** The caller, for kinds whose decider checks ownership; `holds` asks about their permissions. */
export interface Actor extends Caller {
  holds(permission: string): boolean;
}

export type KindContext = CommandContext & { readonly by?: Actor };

/**
 * Finds other active resources that have a unique flag set, from the read model once it has
 * reached `position` (the write that set the flag): every earlier write that set it elsewhere is
 * then in it, so two writes in a row never leave two holders.
 */
export type FlagHolders = (
  kind: ResourceKind,
  flag: string,
  position: bigint,
) => Promise<{ namespace: string; name: string }[]>;

export interface ResourceServiceOptions {
  /** fields holding user-supplied JSON Schemas, which must themselves be valid */
  readonly schemaFields?: readonly string[];
  /** seals a write-only value for the item `id` (`creating`: its first write) */
  readonly seal?: (value: string, item: { id: string; creating: boolean }) => unknown;
  /**
   * kind-specific checks of the fields a create or update sets (code must parse; an agent's
   * functions must exist and be runnable by `ctx.actor`; a URL must be public)
   */
  readonly checkSpec?: (
    spec: Readonly<Record<string, unknown>>,
    ctx: { readonly actor: string },
  ) => Promise<void>;
  /** values a create adds (internal fields), and what only its response shows */
  readonly prepare?: (
    spec: Readonly<Record<string, unknown>>,
    item: { readonly id: string; readonly by?: Actor },
  ) => Promise<PreparedCreate> | PreparedCreate;
  /** after a delete was recorded (a secret's data key is destroyed) */
  readonly afterDelete?: (id: string) => Promise<void>;
  /** where `current` reads (the process's stream cache); without it, `current` reads the store */
  readonly streams?: StreamCache;
}

export interface PreparedCreate {
  readonly spec?: Readonly<Record<string, unknown>>;
  readonly reply?: Readonly<Record<string, unknown>>;
}

const ATTEMPTS = 4;

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

  /** the item's stream; `ownerId` places items of a per-owner namespace (private secrets) */
  stream(namespace: string, name: string, ownerId?: string): string {
    const perOwnerNamespace = ownershipOf(this.kind) === 'visibility' ? PRIVATE_NAMESPACE : undefined;
    const id = resourceStreamId({ namespace, name, ownerId }, { byId: byId(this.kind), perOwnerNamespace });
    return streamName(this.kind.category, id);
  }

  async create(body: unknown, ctx: KindContext, at = new Date()): Promise<WriteResult> {
    const input = validate<Record<string, unknown>>(
      createSchema(this.kind),
      blanksAsNone(this.kind, structuredClone(body)),
    );
    await this.check(input, ctx);
    const id = randomUUID();
    const { [namespaceName(this.kind) ?? 'namespace']: ns, [keyFieldOf(this.kind)]: named, ...spec } = input;
    const namespace = typeof ns === 'string' ? ns : 'default';
    const name = typeof named === 'string' ? named : id;
    // an upsert of an existing item updates the fields the body sets
    const given = new Set(Object.keys(body as object));
    const updatable = new Set(writableFields(this.kind, 'update'));
    const patch = Object.fromEntries(Object.entries(spec).filter(([k]) => given.has(k) && updatable.has(k)));
    const stream = this.stream(namespace, name, ctx.actor);
    return this.retrying(async () => {
      let reply: PreparedCreate['reply'];
      let creating = false;
      const command = new CommandFor<ResourceCommand, ResourceState>(async (state) => {
        creating = !(this.kind.upsert && state.status === 'active');
        if (!creating) return this.updateCommand(state, patch, ctx, at);
        const prepared = await this.options.prepare?.(spec, { id, ...(ctx.by ? { by: ctx.by } : {}) });
        reply = prepared?.reply;
        return {
          type: 'Create',
          id,
          namespace,
          name,
          ownerId: ctx.actor,
          spec: await this.sealFields({ ...spec, ...prepared?.spec }, id, true),
          at: at.toISOString(),
        };
      });
      const r = await this.handler.handle(this.decider, stream, command, ctx);
      const written = await this.afterWrite(r.state, r.revision, r.position, ctx, at);
      return { ...written, created: creating && !r.duplicate, ...(reply ? { reply } : {}) };
    });
  }

  /** `namespace` undefined: the caller's private item of that name, else the shared one (visibility kinds) */
  async update(
    namespace: string | undefined,
    name: string,
    body: unknown,
    ctx: KindContext,
    at = new Date(),
  ): Promise<WriteResult> {
    const patch = validate<Record<string, unknown>>(
      updateSchema(this.kind),
      blanksAsNone(this.kind, structuredClone(body)),
    );
    if (hasLifecycleApi(this.kind)) {
      const ns = namespaceName(this.kind) ?? 'namespace';
      const key = keyFieldOf(this.kind);
      for (const f of [ns, key]) {
        if (patch[f] !== undefined && patch[f] !== (f === key ? name : (namespace ?? 'default'))) {
          throw new ValidationError(`${f}: renaming is not supported; create a new ${labelOf(this.kind)}`, f);
        }
        delete patch[f];
      }
      if (patch.is_active === false) return this.remove(namespace, name, ctx, at);
      delete patch.is_active;
    }
    await this.check(patch, ctx);
    return this.retrying(async (fresh) => {
      const stream = await this.locate(namespace, name, ctx, fresh);
      const command = new CommandFor<ResourceCommand, ResourceState>((state) =>
        this.updateCommand(state, patch, ctx, at),
      );
      const r = await this.handler.handle(this.decider, stream, command, ctx);
      return this.afterWrite(r.state, r.revision, r.position, ctx, at);
    });
  }

  async remove(
    namespace: string | undefined,
    name: string,
    ctx: KindContext,
    at = new Date(),
  ): Promise<WriteResult> {
    return this.retrying(async (fresh) => {
      const stream = await this.locate(namespace, name, ctx, fresh);
      const r = await this.handler.handle(
        this.decider,
        stream,
        { type: 'Delete', at: at.toISOString(), ...callerOf(ctx) },
        ctx,
      );
      if (r.state.status === 'absent') throw new NotFoundError(`${this.kind.type} not found`);
      await this.options.afterDelete?.(r.state.id);
      return { resource: { ...stateData(r.state), version: versionOf(r.revision!) }, position: r.position };
    });
  }

  /** The item as it was at `version` (from 1; the latest without it), from the event store. */
  async at(
    namespace: string,
    name: string,
    version?: number,
    ownerId?: string,
  ): Promise<ResourceData & { version: number; status: string }> {
    const revision = version !== undefined ? revisionOfVersion(checkedVersion(version)) : undefined;
    const events = await this.store.readStream(this.stream(namespace, name, ownerId), {
      ...(revision !== undefined ? { fromRevision: 0n, maxCount: Number(revision) + 1 } : {}),
    });
    if (revision !== undefined && events.length <= Number(revision))
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

  /** The item's state and revision from the event store (what a config plan compares with). */
  async observe(namespace: string, name: string) {
    const events = (await this.store.readStream(this.stream(namespace, name))).map(upcast);
    return { events, ...foldRecorded(this.decider, events) };
  }

  private folded(events: readonly RecordedEvent[]): ResourceData & { version: number; status: string } {
    const { state, revision } = foldRecorded(this.decider, events.map(upcast));
    if (state.status === 'absent') throw new NotFoundError(`${this.kind.type} not found`);
    return { ...stateData(state), version: versionOf(revision!), status: state.status };
  }

  async versions(namespace: string, name: string, ownerId?: string): Promise<ResourceVersion[]> {
    const events = await this.store.readStream(this.stream(namespace, name, ownerId));
    if (events.length === 0) throw new NotFoundError(`${this.kind.type} not found`);
    return events.map((e) => toVersion(this.kind, upcast(e)));
  }

  /**
   * The stream an update or delete goes to. Visibility kinds without a namespace: the caller's
   * private item of that name if there is one, else the shared one.
   */
  private async locate(namespace: string | undefined, name: string, ctx: KindContext, fresh: boolean) {
    if (ownershipOf(this.kind) !== 'visibility') return this.stream(namespace ?? 'default', name);
    for (const v of namespace ? [namespace] : [PRIVATE_NAMESPACE, SHARED_NAMESPACE]) {
      const stream = this.stream(v, name, ctx.actor);
      const { state } = await this.handler.load(this.decider, stream, fresh);
      if (state.status === 'active' && (v !== PRIVATE_NAMESPACE || state.ownerId === ctx.actor))
        return stream;
    }
    throw new NotFoundError(`${labelOf(this.kind)} '${name}' not found`, keyFieldOf(this.kind));
  }

  private async updateCommand(
    state: ResourceState,
    patch: Readonly<Record<string, unknown>>,
    ctx: KindContext,
    at: Date,
  ): Promise<ResourceCommand> {
    const live = state.status === 'active';
    return {
      type: 'Update',
      patch: live ? await this.sealFields(patch, state.id, false) : patch,
      at: at.toISOString(),
      ...callerOf(ctx),
      ...(live ? { incarnation: state.id } : {}),
    };
  }

  /** Write-only values are sealed before they reach a command, so events hold ciphertext only. */
  private async sealFields(
    input: Readonly<Record<string, unknown>>,
    id: string,
    creating: boolean,
  ): Promise<Record<string, unknown>> {
    const out = { ...input };
    for (const f of this.kind.writeOnlyFields ?? []) {
      if (typeof out[f] !== 'string') continue;
      if (!this.options.seal) throw new Error(`${this.kind.type} has write-only fields but no sealer`);
      out[f] = await this.options.seal(out[f], { id, creating });
    }
    return out;
  }

  private async check(input: Record<string, unknown>, ctx: CommandContext): Promise<void> {
    for (const f of this.options.schemaFields ?? [])
      if (input[f] !== undefined && input[f] !== null) checkSchema(input[f], f);
    await this.options.checkSpec?.(input, ctx);
  }

  /** A decision that met a replaced item (or a destroyed key) is decided again on a fresh read. */
  private async retrying<T>(attempt: (fresh: boolean) => Promise<T>): Promise<T> {
    for (let i = 0; ; i++) {
      try {
        return await attempt(i > 0);
      } catch (err) {
        if (!(err instanceof StaleIncarnationError) || i + 1 >= ATTEMPTS) throw err;
      }
    }
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
      for (const other of await this.flagHolders(this.kind, flag, position)) {
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
    return { resource: { ...stateData(state), version: versionOf(revision!) }, position: last };
  }
}

/** the caller as a command carries it: data only */
function callerOf(ctx: KindContext): { by?: Caller } {
  return ctx.by ? { by: { userId: ctx.by.userId, isAdmin: ctx.by.isAdmin } } : {};
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
    version: versionOf(e.revision),
    type: e.type,
    changed,
    actor: e.metadata.actor,
    at: d.at ?? e.createdAt.toISOString(),
  };
}
