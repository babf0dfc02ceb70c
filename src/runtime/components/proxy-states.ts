/**
 * The state proxy of a component (reference §5.9, which marks the original's as broken): a store
 * its `enabled_stores` names, reached with the caller's own state permissions (`read_state`,
 * `write_state`); `set` and `delete` also need the component to enable the store `readwrite`.
 * Answers as the reference intends: get `{found, key, value}`, list `{items:[{key, value}]}`,
 * set and delete `{success, key}`.
 */
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import type { StateCaller } from '../states/state-rules.js';
import type { StateService } from '../states/state-service.js';
import { proxyScope } from './proxy-scope.js';

export interface StateProxyCall {
  readonly action: 'get' | 'set' | 'delete' | 'list';
  readonly key?: string;
  readonly value?: unknown;
  readonly visibility?: 'private' | 'shared';
}

export class StateProxy {
  constructor(
    private readonly components: ResourceService,
    private readonly states: StateService,
  ) {}

  async call(
    component: { readonly namespace: string; readonly name: string },
    target: { readonly namespace: string; readonly name: string },
    c: StateProxyCall,
    caller: StateCaller,
    commandId: string,
  ): Promise<Record<string, unknown>> {
    const ref = `${target.namespace}/${target.name}`;
    const scope = await proxyScope(this.components, component, 'enabled_stores', ref);
    const writes = c.action === 'set' || c.action === 'delete';
    if (writes && scope.access !== 'readwrite')
      throw new ForbiddenError(`the component enables '${ref}' read-only`, 'enabled_stores');
    const store = await this.states.find(target.namespace, target.name);
    if (c.action === 'list') {
      const items = await this.states.list(caller, [store], {});
      return { items: items.map((s) => ({ key: s.key, value: s.value })) };
    }
    const key = c.key;
    if (key === undefined) throw new ValidationError(`key: required for ${c.action}`, 'key');
    switch (c.action) {
      case 'get': {
        const found = await this.states
          .get(caller, store, key)
          .catch((err: unknown) => (err instanceof NotFoundError ? undefined : Promise.reject(err)));
        return { found: found !== undefined, key, value: found?.value ?? null };
      }
      case 'set': {
        const w = { key, value: c.value ?? null, visibility: c.visibility ?? 'private' };
        await this.states.write(caller, store, w, 'save', commandId);
        return { success: true, key };
      }
      case 'delete':
        await this.states.remove(caller, store, key, commandId);
        return { success: true, key };
      default: {
        const unreachable: never = c.action;
        throw new ValidationError(`action: unknown ${String(unreachable)}`, 'action');
      }
    }
  }
}
