/**
 * The component services a process serves, built once from the platform's ports: render tokens
 * (keyed by the JWT secret), builds and share links (on the event store), and the pages.
 */
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { EventStore } from '../../events/event-store.js';
import { ComponentBuilds } from './component-builds.js';
import { componentFamily } from './component-family.js';
import { ComponentPages } from './component-pages.js';
import type { ToolFamily } from '../turns/tool-family.js';
import type { IdentityQueries } from '../../projections/identity-queries.js';
import { RenderTokens } from './render-tokens.js';
import { ShareLinks } from './share-links.js';

export interface ComponentRuntime {
  readonly tokens: RenderTokens;
  readonly builds: ComponentBuilds;
  readonly shares: ShareLinks;
  readonly pages: ComponentPages;
}

export function componentRuntime(p: {
  readonly components: ResourceService;
  readonly eventStore: EventStore;
  readonly jwtSecret: string;
}): ComponentRuntime {
  const tokens = new RenderTokens(p.jwtSecret);
  const builds = new ComponentBuilds(p.eventStore, tokens);
  const shares = new ShareLinks(p.eventStore);
  return { tokens, builds, shares, pages: new ComponentPages(p.components, builds, tokens, shares) };
}

/** `show_component_…` tools for the turns (component-family.ts) */
export function componentFamilyOn(
  s: {
    readonly eventStore: EventStore;
    readonly jwtSecret: string;
    readonly queries: { readonly identity: Pick<IdentityQueries, 'permissionsOf'> };
  },
  components: ResourceService,
): ToolFamily {
  const tokens = new RenderTokens(s.jwtSecret);
  return componentFamily({
    components,
    builds: new ComponentBuilds(s.eventStore, tokens),
    tokens,
    permissionsOf: async (u) => (await s.queries.identity.permissionsOf(u)).permissions,
  });
}
