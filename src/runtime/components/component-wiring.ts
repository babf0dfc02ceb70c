/**
 * The component services a process serves, built once from the platform's ports: render tokens
 * (keyed by the JWT secret), builds and share links (on the event store), and the pages.
 */
import type { ResourceService } from '../../commands/resource/resource-service.js';
import type { EventStore } from '../../events/event-store.js';
import { ComponentBuilds } from './component-builds.js';
import { ComponentPages } from './component-pages.js';
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
