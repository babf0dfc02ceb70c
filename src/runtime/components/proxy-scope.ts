/**
 * What a component's proxy may reach (reference §5.9): only what its `enabled_*` lists name (403
 * naming the list otherwise), and only while the component is active (404). The call itself then
 * runs with the caller's own permissions, never the component owner's.
 */
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { ForbiddenError, NotFoundError } from '../../errors.js';

export type ProxiedList = 'enabled_queries' | 'enabled_functions' | 'enabled_stores';

export interface Enabled {
  /** a store's access as the component's `enabled_stores` grants it */
  readonly access?: 'readonly' | 'readwrite';
}

export async function proxyScope(
  components: ResourceService,
  component: { readonly namespace: string; readonly name: string },
  list: ProxiedList,
  ref: string,
): Promise<Enabled> {
  const { namespace, name } = component;
  const item = await components
    .current(namespace, name)
    .catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
  if (item?.status !== 'active') throw new NotFoundError(`component '${namespace}/${name}' not found`);
  const entries = (item.spec[list] ?? []) as readonly (string | { store: string; access?: string })[];
  for (const e of entries) {
    if (typeof e === 'string' ? e === ref : e.store === ref)
      return typeof e === 'string' ? {} : { access: e.access === 'readwrite' ? 'readwrite' : 'readonly' };
  }
  throw new ForbiddenError(`'${ref}' is not in the component's ${list}`, list);
}
