/**
 * What a state write must satisfy (reference §5.7) and who may read or write a store's states: a
 * strict store with `schema.properties` allows only its property names as keys and validates each
 * value against its property's schema (400 naming the field); reads and writes need the store's
 * `read_state` / `write_state` permission, `:own` (own key space, plus shared states for reads) or
 * `:all` (every user's states for reads).
 */
import { canAct, itemPermission, type PermissionMap } from '../../commands/identity/permissions.js';
import type { StoreSpec } from '../../commands/store/store-kind.js';
import { validate } from '../../commands/validation.js';
import { ForbiddenError, ValidationError } from '../../errors.js';

export interface FoundStore {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly ownerId: string;
  readonly spec: StoreSpec;
}

export interface StateCaller {
  readonly userId: string;
  readonly permissions: PermissionMap;
}

export type StateAction = 'read_state' | 'write_state';

/** `'all'` or `'own'`: how far the caller's permission on the store reaches; ForbiddenError without one. */
export function stateAccess(caller: StateCaller, store: FoundStore, action: StateAction): 'all' | 'own' {
  const item = { namespaced: true as const, namespace: store.namespace, name: store.name };
  // the store's owner does not matter: `:own` means the caller's own states in it
  const scope = canAct(caller.permissions, {
    ...item,
    resource: 'stores',
    action,
    ownerId: null,
    callerId: caller.userId,
  });
  if (scope) return scope;
  throw new ForbiddenError(
    `not permitted to ${action === 'read_state' ? 'read' : 'write'} states of store '${store.namespace}/${store.name}': it needs ${itemPermission('stores', item, action, 'own')}`,
  );
}

/** Throws a ValidationError naming the field when a strict store refuses `key` or `value`. */
export function checkStrict(store: FoundStore, key: string, value: unknown): void {
  const properties = store.spec.schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (!store.spec.strict || !properties || typeof properties !== 'object') return;
  const schema = properties[key];
  if (!schema)
    throw new ValidationError(
      `key: '${key}' is not a key of the strict store '${store.namespace}/${store.name}' (allowed: ${Object.keys(properties).join(', ')})`,
      'key',
    );
  validate(schema, value, 'value');
}

/** Whether the caller may read the store's states (stored context skips those they may not). */
export function canRead(caller: StateCaller, store: FoundStore): boolean {
  try {
    stateAccess(caller, store, 'read_state');
    return true;
  } catch {
    return false; // a store the user may not read adds nothing to their context
  }
}
