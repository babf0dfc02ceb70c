/**
 * The Skill kind's routes: the kit's management routes under /api/v1/skills, plus the runtime's
 * discovery `GET /skills` (reference §5.6), as every discoverable kind has it (discovery.ts).
 */
import type { RouteRegistry } from './routes.js';
import type { ResourceRouteDeps } from './resources.js';
import { registerWithDiscovery } from './discovery.js';

export function registerSkillRoutes(registry: RouteRegistry, d: ResourceRouteDeps): void {
  registerWithDiscovery(registry, d);
}
