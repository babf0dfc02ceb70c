/**
 * Who may change an item, decided inside the decider for kinds whose ownership the routes cannot
 * settle alone (`owner`, `visibility`); `grants` kinds are checked by their routes before the command.
 */
import { ForbiddenError, NotFoundError } from '../../errors.js';
import type { ResourceData } from './decider.js';
import { keyFieldOf, labelOf, ownershipOf, PRIVATE_NAMESPACE, type ResourceKind } from './resource-kind.js';

export interface Caller {
  readonly userId: string;
  /** holds the `:all` permission of the action (for `visibility` kinds: is an administrator) */
  readonly isAdmin: boolean;
}

export function mayChange(kind: ResourceKind, item: ResourceData, by: Caller | undefined): void {
  if (!by) return;
  const own = item.ownerId === by.userId;
  const missing = () => new NotFoundError(`${labelOf(kind)} not found`, keyFieldOf(kind));
  const ownership = ownershipOf(kind);
  switch (ownership) {
    case 'grants':
      return;
    case 'owner':
      if (!own && !by.isAdmin) throw missing();
      return;
    case 'visibility':
      if (item.namespace === PRIVATE_NAMESPACE) {
        if (!own) throw missing();
      } else if (!own && !by.isAdmin) {
        throw new ForbiddenError(
          `only the owner of a shared ${labelOf(kind)} or an administrator may change it`,
          'name',
        );
      }
      return;
    default: {
      const unreachable: never = ownership;
      return unreachable;
    }
  }
}
