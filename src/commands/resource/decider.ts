/**
 * One decider for every configurable kind, parameterised by the kind. Pure. Update and delete may
 * name the incarnation (the item's id) they were prepared for: a command prepared before the item
 * was deleted and created again is refused as stale (a value sealed under the old item's key must
 * not land in the new one), and the caller reloads and retries.
 */
import { AlreadyExistsError, IllegalStateError, NotFoundError, ValidationError } from '../../errors.js';
import { nestedLayout } from '../../events/resources/event-layout.js';
import type {
  ResourceCreatedData,
  ResourceEvent,
  ResourceSpec,
} from '../../events/resources/resource-events.js';
import { resourceEventKind } from '../../events/resources/resource-events.js';
import type { Decider } from '../decider.js';
import { mayChange, type Caller } from './ownership.js';
import { keyFieldOf, labelOf, type ResourceKind } from './resource-kind.js';

export type { Caller } from './ownership.js';

interface Changing {
  readonly at: string;
  /** who asks (kinds whose decider checks ownership) */
  readonly by?: Caller;
  /** the item's id the command was prepared for */
  readonly incarnation?: string;
}

export type ResourceCommand =
  | ({ readonly type: 'Create' } & ResourceCreatedData)
  | ({ readonly type: 'Update'; readonly patch: ResourceSpec } & Changing)
  | ({ readonly type: 'Delete' } & Changing);

export type ResourceData = Omit<ResourceCreatedData, 'at'> & {
  readonly createdAt: string;
  readonly updatedAt: string;
};

export type ResourceState =
  | { readonly status: 'absent' }
  | ({ readonly status: 'active' } & ResourceData)
  | ({ readonly status: 'deleted' } & ResourceData);

type Active = Extract<ResourceState, { status: 'active' }>;

/** thrown when the command was prepared for an incarnation that is no longer current: reload, retry */
export class StaleIncarnationError extends IllegalStateError {}

export function resourceDecider(kind: ResourceKind): Decider<ResourceCommand, ResourceEvent, ResourceState> {
  const invariant = kind.invariant;
  const created = `${kind.type}Created` as const;
  const updated = `${kind.type}Updated` as const;
  const deleted = `${kind.type}Deleted` as const;
  const layout = kind.events ?? nestedLayout;
  const label = (s: { namespace: string; name: string }) =>
    kind.addressing === 'id'
      ? `the ${labelOf(kind)}`
      : `${kind.type} '${kind.namespaced === false ? s.name : `${s.namespace}/${s.name}`}'`;
  const live = (state: ResourceState, c: Changing): Active => {
    if (state.status !== 'active') throw new NotFoundError(`${kind.type} not found`, keyFieldOf(kind));
    if (c.incarnation !== undefined && c.incarnation !== state.id)
      throw new StaleIncarnationError(`the ${labelOf(kind)} was replaced while this request ran`);
    mayChange(kind, state, c.by);
    return state;
  };
  return {
    initialState: { status: 'absent' },
    decide(command, state): readonly ResourceEvent[] {
      switch (command.type) {
        case 'Create': {
          if (state.status === 'active') {
            const Duplicate = kind.duplicates === 'invalid' ? ValidationError : AlreadyExistsError;
            throw new Duplicate(`${label(state)} already exists`, keyFieldOf(kind));
          }
          const { type: _t, ...d } = command;
          invariant?.(d.spec, d.id);
          return [{ type: created, data: layout.created(d) }];
        }
        case 'Update': {
          const s = live(state, command);
          invariant?.(command.patch, s.id);
          const changed = Object.keys(command.patch).filter(
            (k) =>
              command.patch[k] !== undefined &&
              JSON.stringify(command.patch[k]) !== JSON.stringify(s.spec[k] ?? null),
          );
          if (changed.length === 0) return [];
          const changes = Object.fromEntries(changed.map((k) => [k, command.patch[k]]));
          return [{ type: updated, data: layout.updated(s.id, { changes, changed, at: command.at }) }];
        }
        case 'Delete':
          return [{ type: deleted, data: layout.deleted(live(state, command).id, command.at) }];
        default: {
          const unreachable: never = command;
          throw new ValidationError(`unknown command ${JSON.stringify(unreachable)}`);
        }
      }
    },
    evolve(state, event): ResourceState {
      const which = resourceEventKind(kind.type, event.type);
      switch (which) {
        case 'Created': {
          const { at, ...d } = layout.readCreated(event.data);
          return { status: 'active', ...d, createdAt: at, updatedAt: at };
        }
        case 'Updated': {
          if (state.status === 'absent') return state;
          const d = layout.readUpdated(event.data);
          return { ...state, spec: { ...state.spec, ...d.changes }, updatedAt: d.at };
        }
        case 'Deleted':
          return state.status === 'active'
            ? { ...state, status: 'deleted', updatedAt: String(event.data.at) }
            : state;
        case undefined:
          return state;
        default: {
          const unreachable: never = which;
          return unreachable;
        }
      }
    },
  };
}
