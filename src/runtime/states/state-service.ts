/**
 * States (reference §5.7): the one service the runtime routes and the state tools both use. A write
 * is a command on the state's own stream (state-decider.ts), decided on the fresh state at each
 * conflict retry, so concurrent writes to one key are ordered by the stream and each is kept. An
 * encrypted state's value is sealed before the command; reads open it. Reads of one key come from
 * its stream (always current, and any `version`); lists come from the read model.
 */
import { randomUUID } from 'node:crypto';
import { CommandFor, type CommandHandler } from '../../commands/command-handler.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { stateDecider, type StateCommand, type StateState } from '../../commands/state/state-decider.js';
import type { StoreSpec } from '../../commands/store/store-kind.js';
import { IllegalStateError, NotFoundError } from '../../errors.js';
import type { EventStore } from '../../events/event-store.js';
import type { StateFields, StateVisibility } from '../../events/state-events.js';
import { stateStream } from '../../events/state-events.js';
import type { StateFilter, StateQueries, StateRow } from '../../projections/state-queries.js';
import type { ProjectionWaiter } from '../../projections/waiter.js';
import type { StateKeys } from './state-keys.js';
import { canRead, checkStrict, stateAccess, type FoundStore, type StateCaller } from './state-rules.js';
import { rowFields, stateView, type StateView } from './state-view.js';

export interface StateWrite {
  readonly key: string;
  readonly value?: unknown;
  readonly visibility?: StateVisibility;
  readonly encrypted?: boolean;
  readonly description?: string | null;
  readonly tags?: readonly string[];
  readonly relevance_score?: number;
  readonly expires_at?: string | null;
}

export type WriteMode = 'create' | 'save' | 'update';

export interface StateServiceDeps {
  readonly store: EventStore;
  readonly handler: CommandHandler;
  readonly stores: ResourceService;
  readonly queries: StateQueries;
  readonly keys: StateKeys;
  readonly waiter: ProjectionWaiter;
  readonly consistencyTimeoutMs: number;
  readonly now?: () => Date;
}

const COMMAND: Record<WriteMode, 'CreateState' | 'SaveState' | 'UpdateState'> = {
  create: 'CreateState',
  save: 'SaveState',
  update: 'UpdateState',
};

export class StateService {
  constructor(private readonly d: StateServiceDeps) {}

  /** The live store `ns/name` (NotFoundError otherwise). */
  async find(namespace: string, name: string): Promise<FoundStore> {
    const s = await this.d.stores.current(namespace, name);
    if (s.status !== 'active') throw new NotFoundError('Store not found');
    return { id: s.id, namespace, name, ownerId: s.ownerId, spec: s.spec as unknown as StoreSpec };
  }

  /** Writes the caller's state `w.key`; `created` says whether the key was new. */
  async write(
    caller: StateCaller,
    store: FoundStore,
    w: StateWrite,
    mode: WriteMode,
    commandId: string,
  ): Promise<{ state: StateView; created: boolean }> {
    stateAccess(caller, store, 'write_state');
    if (w.value !== undefined) checkStrict(store, w.key, w.value);
    else if (mode !== 'update') checkStrict(store, w.key, null);
    let created = false;
    const command = new CommandFor<StateCommand, StateState>(async (s) => {
      created = s.status === 'absent';
      return { type: COMMAND[mode], state: await this.fields(caller.userId, store, w, s) };
    });
    const r = await this.d.handler.handle(
      stateDecider,
      stateStream(store.id, caller.userId, w.key),
      command,
      {
        commandId,
        actor: caller.userId,
      },
    );
    await this.d.waiter.waitFor(['states'], r.position, this.d.consistencyTimeoutMs);
    if (r.state.status !== 'live') throw new NotFoundError('State not found');
    return { state: await this.view(r.state.state, versionOf(r.revision)), created };
  }

  /** Deletes the caller's own state `key` and destroys its data key (its values are shredded). */
  async remove(caller: StateCaller, store: FoundStore, key: string, commandId: string): Promise<void> {
    stateAccess(caller, store, 'write_state');
    const r = await this.d.handler.handle(
      stateDecider,
      stateStream(store.id, caller.userId, key),
      { type: 'DeleteState' },
      { commandId, actor: caller.userId },
    );
    const deleted = r.events.find((e) => e.type === 'StateDeleted'); // none when a retry repeats it
    if (deleted) await this.d.keys.destroy(String((deleted.data as { stateId: string }).stateId));
    await this.d.waiter.waitFor(['states'], r.position, this.d.consistencyTimeoutMs);
  }

  /**
   * The caller's own state `key`, else a shared one with that key; `version` reads an earlier write
   * of that state's stream (the caller's own stream when they have written the key).
   */
  async get(caller: StateCaller, store: FoundStore, key: string, version?: number): Promise<StateView> {
    stateAccess(caller, store, 'read_state');
    const own = await this.d.store.readStream(stateStream(store.id, caller.userId, key));
    const last = own.at(-1);
    const ownLive = last?.type === 'StateSaved' && !this.expired(last.data as unknown as StateFields);
    if (own.length > 0 && (version !== undefined || ownLive)) return this.fromStream(own, version);
    const shared = await this.d.queries.shared(store.id, key);
    if (!shared)
      throw new NotFoundError(`State '${key}' not found in store '${store.namespace}/${store.name}'`);
    if (version === undefined) return this.fromRow(shared);
    const theirs = await this.d.store.readStream(stateStream(store.id, shared.user_id, key));
    // another user's earlier write is theirs alone unless it was shared then too
    const then = theirs[version - 1];
    if (then?.type === 'StateSaved' && (then.data as unknown as StateFields).visibility !== 'shared')
      throw new NotFoundError(`State version ${version} not found`);
    return this.fromStream(theirs, version);
  }

  /** The states of `stores` the caller may see that pass `f`, most relevant first. */
  async list(
    caller: StateCaller,
    stores: readonly FoundStore[],
    f: StateFilter & { readonly owner?: string },
  ): Promise<StateView[]> {
    const scopes = stores.map((s) => stateAccess(caller, s, 'read_state'));
    const all = scopes.every((s) => s === 'all');
    const scope =
      all && f.owner === 'all'
        ? ({ kind: 'all' } as const)
        : all && f.owner
          ? ({ kind: 'own', userId: f.owner } as const)
          : all
            ? ({ kind: 'own', userId: caller.userId } as const)
            : ({ kind: 'own_and_shared', userId: caller.userId } as const);
    const rows = await this.d.queries.list(
      stores.map((s) => s.id),
      scope,
      f,
    );
    return Promise.all(rows.map((r) => this.fromRow(r)));
  }

  /**
   * The stored context of a chat (§3.8 step 5): the caller's own and shared states of the `stores`
   * they may read, not expired, most relevant first; never other users' private ones, even with `:all`.
   */
  async context(caller: StateCaller, stores: readonly FoundStore[], limit: number): Promise<StateView[]> {
    const readable = stores.filter((s) => canRead(caller, s));
    if (readable.length === 0) return [];
    const scope = { kind: 'own_and_shared', userId: caller.userId } as const;
    const rows = await this.d.queries.list(
      readable.map((s) => s.id),
      scope,
      { limit },
    );
    return Promise.all(rows.map((r) => this.fromRow(r)));
  }

  private async fields(
    userId: string,
    store: FoundStore,
    w: StateWrite,
    s: StateState,
  ): Promise<StateFields> {
    const prior = s.status === 'live' ? s.state : undefined;
    const at = (this.d.now?.() ?? new Date()).toISOString();
    const stateId = prior?.stateId ?? randomUUID();
    const encrypted = store.spec.encrypted || (w.encrypted ?? (prior ? prior.sealed !== null : false));
    const value = w.value !== undefined ? w.value : prior ? (await this.openFields(prior)).value : null;
    return {
      stateId,
      storeId: store.id,
      storeNamespace: store.namespace,
      storeName: store.name,
      userId,
      key: w.key,
      value: encrypted ? null : value,
      sealed: encrypted ? await this.d.keys.seal(stateId, value) : null,
      visibility: w.visibility ?? prior?.visibility ?? store.spec.default_visibility,
      description: w.description !== undefined ? w.description : (prior?.description ?? null),
      tags: w.tags ?? prior?.tags ?? [],
      relevanceScore: w.relevance_score ?? prior?.relevanceScore ?? 1,
      expiresAt: w.expires_at !== undefined ? w.expires_at : (prior?.expiresAt ?? null),
      createdAt: prior?.createdAt ?? at,
      updatedAt: at,
    };
  }

  private expired(f: StateFields): boolean {
    return f.expiresAt !== null && Date.parse(f.expiresAt) <= (this.d.now?.() ?? new Date()).getTime();
  }

  private async openFields(f: StateFields): Promise<{ value: unknown }> {
    if (!f.sealed) return { value: f.value };
    const opened = await this.d.keys.open(f.stateId, f.sealed);
    if (!opened) throw new IllegalStateError('this value is unreadable: its data key was destroyed');
    return opened;
  }

  private async view(f: StateFields, version: number): Promise<StateView> {
    return stateView(f, (await this.openFields(f)).value, version);
  }

  private async fromStream(events: Awaited<ReturnType<EventStore['readStream']>>, version?: number) {
    const e = version === undefined ? events.at(-1) : events[version - 1];
    if (!e || e.type !== 'StateSaved') throw new NotFoundError(`State version ${version ?? ''} not found`);
    const f = e.data as unknown as StateFields;
    if (version === undefined && this.expired(f)) throw new NotFoundError('State not found (expired)');
    return this.view(f, Number(e.revision) + 1);
  }

  private async fromRow(r: StateRow): Promise<StateView> {
    const f = rowFields(r);
    return this.view(f, Number(r.version));
  }
}

const versionOf = (revision: bigint | undefined) => (revision === undefined ? 0 : Number(revision) + 1);
