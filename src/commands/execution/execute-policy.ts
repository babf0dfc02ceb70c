/**
 * Who may run a function: the one check every path that runs code goes through (direct execute,
 * sync and async; continue; agent tool calls; hooks; and every later trigger, since they all request
 * executions through ExecutionService). The rule is the reference's tool-time rule (§4.1), applied
 * everywhere: `sinas.functions/<ns>/<name>.execute:all`, or `…execute:own` and owning the function.
 * A `shared_pool` function gets no exception: an administrator's is runnable by a plain user only
 * through `:all` or a grant naming it. Permissions are the caller's as they are now (a revoked grant
 * stops the next call, not only the next save).
 */
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { canAct, itemPermission, type PermissionMap } from '../identity/permissions.js';
import type { ResourceService } from '../resource/resource-service.js';

/** The permissions of a user's active roles, read now. */
export type PermissionsOf = (userId: string) => Promise<PermissionMap>;

/** A function as the check sees it: its address and its owner. */
export interface Runnable {
  readonly namespace: string;
  readonly name: string;
  readonly ownerId: string;
}

/**
 * Who runs it. `permissions`: what this request holds (an API key's map, an administrator's
 * everything); without it, the user's roles' permissions are read.
 */
export interface Runner {
  readonly userId: string;
  readonly permissions?: PermissionMap;
}

/** Pure: whether `permissions` of `userId` allow executing `fn`. */
export function mayExecute(permissions: PermissionMap, fn: Runnable, userId: string): boolean {
  return mayAct(permissions, fn, userId, 'execute');
}

function mayAct(permissions: PermissionMap, fn: Runnable, userId: string, action: string): boolean {
  const item = { namespaced: true as const, namespace: fn.namespace, name: fn.name };
  const req = { ...item, resource: 'functions', action, ownerId: fn.ownerId, callerId: userId };
  return canAct(permissions, req) !== false;
}

export function notPermitted(fn: { namespace: string; name: string }, field?: string): ForbiddenError {
  const all = itemPermission('functions', { namespaced: true, ...fn }, 'execute', 'all');
  return new ForbiddenError(
    `not permitted to execute function '${fn.namespace}/${fn.name}': it needs ${all}, or ${all.replace(/:all$/, ':own')} and owning it`,
    field,
  );
}

export class ExecutePolicy {
  constructor(
    /** where functions are read (the Function kind's service) */
    private readonly functions: Pick<ResourceService, 'at'>,
    private readonly permissionsOf: PermissionsOf,
  ) {}

  /** Throws ForbiddenError (naming `field` when given) unless `who` may execute `fn`. */
  async check(who: Runner, fn: Runnable, field?: string): Promise<void> {
    if (!(await this.allows(who, fn))) throw notPermitted(fn, field);
  }

  /** `userId` with their roles' permissions read once (for several checks in a row). */
  async runner(userId: string): Promise<Runner> {
    return { userId, permissions: await this.permissionsOf(userId) };
  }

  async allows(who: Runner, fn: Runnable): Promise<boolean> {
    const permissions = who.permissions ?? (await this.permissionsOf(who.userId));
    return mayExecute(permissions, fn, who.userId);
  }

  /** The active function `ns/name` names, or undefined when there is none. */
  async find(ref: string): Promise<Runnable | undefined> {
    const [namespace, name] = ref.split('/', 2) as [string, string];
    const fn = await this.functions
      .at(namespace, name)
      .catch((err) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
    return fn?.status === 'active' ? fn : undefined;
  }

  /**
   * A saved reference to a function (an agent's tool or hook): it must exist (ValidationError
   * naming `field`) and its author must be allowed to run it (ForbiddenError naming `field`). A
   * function the author may neither run nor read is answered exactly as a missing one, so a save
   * never tells anyone that someone else's function exists.
   */
  async checkReference(who: Runner, ref: string, field: string): Promise<void> {
    const fn = await this.find(ref);
    const missing = new ValidationError(`${field}: no function '${ref}'`, field);
    if (!fn) throw missing;
    const permissions = who.permissions ?? (await this.permissionsOf(who.userId));
    if (mayExecute(permissions, fn, who.userId)) return;
    throw mayAct(permissions, fn, who.userId, 'read') ? notPermitted(fn, field) : missing;
  }
}
