/**
 * The console's System page (administrators): `GET /api/v1/system/health` in the original's shape
 * (`services`, `host`, `warnings`), where the services are this process and the ports `/health`
 * checks (no Docker inspection of compose containers: the ports are what this platform depends
 * on), and `GET /api/v1/dependencies`, the Python packages approved for functions: none, since the
 * function image carries the standard library only and offers no package installation.
 */
import { hostResources, type HostResources } from '../runtime/host-resources.js';
import { addJsonGet, listOf, objectOf, SYSTEM_READ } from './admin-route.js';
import { checkPorts, type PortCheck, type PortState } from './health.js';
import type { RouteRegistry } from './routes.js';

const tags = ['System'];

export interface SystemDeps {
  readonly role: string;
  readonly checks: readonly PortCheck[];
  /** where the platform keeps its data: the disk the host figures report */
  readonly dataDir: string;
}

interface Warning {
  level: 'critical' | 'warning' | 'info';
  message: string;
}

function serviceOf(port: string, s: PortState) {
  return {
    name: port,
    service: s.adapter,
    status: s.up ? 'running' : 'down',
    health: s.up ? 'healthy' : 'unhealthy',
    uptime_seconds: 0,
    ...(s.error ? { error: s.error } : {}),
  };
}

function warningsOf(ports: Record<string, PortState>, host: HostResources): Warning[] {
  const warnings: Warning[] = Object.entries(ports)
    .filter(([, s]) => !s.up)
    .map(([port, s]) => ({
      level: 'critical',
      message: `${port} (${s.adapter}) is down: ${s.error ?? 'no answer'}`,
    }));
  for (const [what, pct] of [
    ['Disk', host.disk_percent],
    ['Memory', host.memory_percent],
  ] as const) {
    if (pct !== null && pct > 90) warnings.push({ level: 'warning', message: `${what} usage at ${pct}%` });
    else if (pct !== null && pct > 75) warnings.push({ level: 'info', message: `${what} usage at ${pct}%` });
  }
  return warnings;
}

export function registerSystemRoutes(registry: RouteRegistry, d: SystemDeps): void {
  addJsonGet(registry, {
    path: '/api/v1/system/health',
    access: SYSTEM_READ,
    summary: 'This process, each port it depends on, the host and warnings about any of them',
    tags,
    // the console sends it; per-service CPU and memory are not measured here, so it changes nothing
    query: { include_stats: { type: 'boolean', default: false } },
    answers: objectOf({
      services: { type: 'array', items: { type: 'object' } },
      host: { type: 'object' },
      warnings: listOf({ level: { type: 'string' }, message: { type: 'string' } }),
    }),
    read: async () => {
      const [ports, host] = await Promise.all([checkPorts(d.checks), hostResources(d.dataDir)]);
      const self = {
        name: `sinas-${d.role}`,
        service: 'api',
        status: 'running',
        health: 'healthy',
        uptime_seconds: Math.floor(process.uptime()),
      };
      const services = [self, ...Object.entries(ports).map(([port, s]) => serviceOf(port, s))];
      return { services, host, warnings: warningsOf(ports, host) };
    },
  });
  addJsonGet(registry, {
    path: '/api/v1/dependencies',
    // the original lists them to anyone signed in (installing and removing are for admins); no one's data
    access: { signedIn: 'any credential' },
    summary:
      'Python packages approved for functions (none: the function image has the standard library only)',
    tags,
    answers: listOf({
      id: { type: 'string' },
      package_name: { type: 'string' },
      version: { type: ['string', 'null'] },
      installed_at: { type: 'string' },
      installed_by: { type: ['string', 'null'] },
    }),
    read: () => [],
  });
}
