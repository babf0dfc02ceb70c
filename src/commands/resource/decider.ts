/** One decider for every configuration resource kind, parameterised by the kind. Pure. */
import { AlreadyExistsError, NotFoundError, ValidationError } from '../../errors.js';
import type { ResourceEvent, ResourceSpec } from '../../events/resources/resource-events.js';
import { resourceEventKind } from '../../events/resources/resource-events.js';
import type { Decider } from '../decider.js';
import type { ResourceKind } from './resource-kind.js';

export type ResourceCommand =
  | {
      readonly type: 'Create';
      readonly id: string;
      readonly namespace: string;
      readonly name: string;
      readonly ownerId: string;
      readonly spec: ResourceSpec;
      readonly at: string;
    }
  | { readonly type: 'Update'; readonly patch: ResourceSpec; readonly at: string }
  | { readonly type: 'Delete'; readonly at: string };

export interface ResourceData {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly ownerId: string;
  readonly spec: ResourceSpec;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type ResourceState =
  | { readonly status: 'absent' }
  | ({ readonly status: 'active' } & ResourceData)
  | ({ readonly status: 'deleted' } & ResourceData);

export function resourceDecider(kind: ResourceKind): Decider<ResourceCommand, ResourceEvent, ResourceState> {
  const created = `${kind.type}Created` as const;
  const updated = `${kind.type}Updated` as const;
  const deleted = `${kind.type}Deleted` as const;
  const label = (s: { namespace: string; name: string }) => `${kind.type} '${s.namespace}/${s.name}'`;
  return {
    initialState: { status: 'absent' },
    decide(command, state): readonly ResourceEvent[] {
      switch (command.type) {
        case 'Create': {
          if (state.status === 'active')
            throw new AlreadyExistsError(`${label(state)} already exists`, 'name');
          const { id, namespace, name, ownerId, spec, at } = command;
          return [{ type: created, data: { id, namespace, name, ownerId, spec, at } }];
        }
        case 'Update': {
          if (state.status !== 'active') throw new NotFoundError(`${kind.type} not found`);
          const changed = Object.keys(command.patch).filter(
            (k) => JSON.stringify(command.patch[k]) !== JSON.stringify(state.spec[k] ?? null),
          );
          if (changed.length === 0) return [];
          const changes = Object.fromEntries(changed.map((k) => [k, command.patch[k]]));
          return [{ type: updated, data: { changes, changed, at: command.at } }];
        }
        case 'Delete': {
          if (state.status !== 'active') throw new NotFoundError(`${kind.type} not found`);
          return [{ type: deleted, data: { at: command.at } }];
        }
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
          const d = event.data as Extract<ResourceEvent, { type: `${string}Created` }>['data'];
          return {
            status: 'active',
            id: d.id,
            namespace: d.namespace,
            name: d.name,
            ownerId: d.ownerId,
            spec: d.spec,
            createdAt: d.at,
            updatedAt: d.at,
          };
        }
        case 'Updated': {
          if (state.status === 'absent') return state;
          const d = event.data as Extract<ResourceEvent, { type: `${string}Updated` }>['data'];
          return { ...state, spec: { ...state.spec, ...d.changes }, updatedAt: d.at };
        }
        case 'Deleted':
          return state.status === 'active'
            ? { ...state, status: 'deleted', updatedAt: (event.data as { at: string }).at }
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
