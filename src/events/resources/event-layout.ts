/**
 * How a kind's lifecycle events lie in the event store. Kinds born on the kit use the nested layout
 * (`{id, namespace, name, ownerId, spec, at}`); kinds older than the kit keep the shapes their
 * stores already hold (flat fields, their own id key, their own field names), so no stored event is
 * rewritten and none needs an upcaster: the layout reads and writes both.
 */
import type { ResourceCreatedData, ResourceSpec, ResourceUpdatedData } from './resource-events.js';

type Data = Readonly<Record<string, unknown>>;

export interface EventLayout {
  created(d: ResourceCreatedData): Data;
  readCreated(data: Data): ResourceCreatedData;
  updated(id: string, u: ResourceUpdatedData): Data;
  readUpdated(data: Data): ResourceUpdatedData;
  deleted(id: string, at: string): Data;
}

export const nestedLayout: EventLayout = {
  created: (d) => ({ ...d }),
  readCreated: (data) => data as unknown as ResourceCreatedData,
  updated: (_id, u) => ({ changes: u.changes, changed: u.changed, at: u.at }),
  readUpdated: (data) => data as unknown as ResourceUpdatedData,
  deleted: (_id, at) => ({ at }),
};

export interface FlatLayoutOptions {
  /** the key of the incarnation id, on every event: 'secretId' */
  readonly id: string;
  /** the key the namespace is stored under ('visibility'); absent: the kind has none ('default') */
  readonly namespace?: string;
  /** the key the name is stored under; absent: the name is the id */
  readonly name?: string;
  /** spec field → its key in events, where they differ (`event_types` → `eventTypes`) */
  readonly renamed?: Readonly<Record<string, string>>;
}

/** Every field beside the identity, the id named on every event (secrets, event subscriptions). */
export function flatLayout(o: FlatLayoutOptions): EventLayout {
  const stored = o.renamed ?? {};
  const field = Object.fromEntries(Object.entries(stored).map(([f, k]) => [k, f]));
  const keysTo = (obj: Data, names: Readonly<Record<string, string>>) =>
    Object.fromEntries(Object.entries(obj).map(([k, v]) => [names[k] ?? k, v]));
  const identity = new Set([o.id, 'ownerId', 'at', o.namespace, o.name]);
  return {
    created: (d) => ({
      [o.id]: d.id,
      ...(o.namespace ? { [o.namespace]: d.namespace } : {}),
      ...(o.name ? { [o.name]: d.name } : {}),
      ownerId: d.ownerId,
      ...keysTo(d.spec, stored),
      at: d.at,
    }),
    readCreated: (data) => {
      const id = String(data[o.id]);
      const rest = Object.entries(data).filter(([k]) => !identity.has(k));
      return {
        id,
        namespace: o.namespace ? String(data[o.namespace]) : 'default',
        name: o.name ? String(data[o.name]) : id,
        ownerId: String(data.ownerId),
        spec: keysTo(Object.fromEntries(rest), field),
        at: String(data.at),
      };
    },
    updated: (id, u) => ({
      [o.id]: id,
      changes: keysTo(u.changes, stored),
      changed: u.changed.map((f) => stored[f] ?? f),
      at: u.at,
    }),
    readUpdated: (data) => ({
      changes: keysTo(data.changes as ResourceSpec, field),
      changed: (data.changed as readonly string[]).map((k) => field[k] ?? k),
      at: String(data.at),
    }),
    deleted: (id, at) => ({ [o.id]: id, at }),
  };
}

/**
 * The stored events of a kind in the flat layout, as a type: `P` the type prefix, `Id` the id's key,
 * `Created` what the created event holds beside the id, owner and time, `Fields` what may change.
 */
export type FlatEvents<P extends string, Id extends string, Created, Fields> =
  | {
      readonly type: `${P}Created`;
      readonly data: { readonly [K in Id]: string } & Created & {
          readonly ownerId: string;
          readonly at: string;
        };
    }
  | {
      readonly type: `${P}Updated`;
      readonly data: { readonly [K in Id]: string } & {
        readonly changes: Partial<Fields>;
        readonly changed: readonly (keyof Fields)[];
        readonly at: string;
      };
    }
  | { readonly type: `${P}Deleted`; readonly data: { readonly [K in Id]: string } & { readonly at: string } };
