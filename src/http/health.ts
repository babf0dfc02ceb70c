/**
 * GET /health: each port's adapter and whether it is up, and `down`: the ports that are not (an
 * outage names its dependency here while the API answers 503).
 */
import type { RouteRegistry } from './routes.js';

export interface PortCheck {
  readonly port: string;
  readonly adapter: string;
  check(): Promise<void>;
  /** when the adapter is only known at run time (the model layer) */
  describe?(): Promise<string>;
}

export function registerHealth(registry: RouteRegistry, role: string, checks: readonly PortCheck[]): void {
  registry.add({
    method: 'get',
    path: '/health',
    summary: 'Health of each port',
    public: true,
    responses: { 200: { type: 'object' }, 503: { type: 'object' } },
    handler: async (_req, res) => {
      const ports = await checkPorts(checks);
      const down = Object.entries(ports)
        .filter(([, p]) => !p.up)
        .map(([name]) => name);
      const healthy = down.length === 0;
      res.status(healthy ? 200 : 503).json({ status: healthy ? 'healthy' : 'unhealthy', role, ports, down });
    },
  });
}

export interface PortState {
  readonly adapter: string;
  readonly up: boolean;
  readonly error?: string;
}

/** Every port checked at once, each given two seconds: its adapter and whether it answered. */
export async function checkPorts(checks: readonly PortCheck[]): Promise<Record<string, PortState>> {
  return Object.fromEntries(
    await Promise.all(
      checks.map(async (c) => {
        const error = await withTimeout(c.check(), 2000).then(
          () => undefined,
          (e: Error) => e.message,
        );
        const adapter = c.describe ? await c.describe().catch(() => c.adapter) : c.adapter;
        return [c.port, { adapter, up: error === undefined, ...(error ? { error } : {}) }] as const;
      }),
    ),
  );
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, rej) => (t = setTimeout(() => rej(new Error('timed out')), ms))),
  ]).finally(() => clearTimeout(t));
}
