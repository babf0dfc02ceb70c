/** Starts the real platform in-process on a fresh database, for end-to-end tests over HTTP. */
import { pino, type Logger } from 'pino';
import { loadConfig } from '../../src/runtime/config.js';
import { ApiKeys } from '../../src/runtime/auth/api-keys.js';
import type { KindRegistration } from '../../src/runtime/kind-registry.js';
import { Platform } from '../../src/runtime/platform.js';
import { TurnRunner, type TurnRunnerDeps } from '../../src/runtime/turns/turn-runner.js';
import type { ToolFamily } from '../../src/runtime/turns/tool-family.js';
import { freshDatabase, type TestDatabase } from './pg.js';

export const ADMIN_KEY = 'sk-test-admin-key-0123456789';
export const TEST_ENCRYPTION_KEY = 'test-encryption-key-0123456789-abcdef';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789-abcdefghijkl';

/** A Response whose json() is loosely typed: tests assert on its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export interface TestPlatform {
  readonly platform: Platform;
  readonly url: string;
  readonly db: TestDatabase;
  /** fetch against the platform as the bootstrap admin */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<JsonResponse>;
  stop(): Promise<void>;
}

export async function startTestPlatform(
  env: Record<string, string> = {},
  options: {
    readonly log?: Logger;
    /** the kinds on the kit (default: the platform's, `KINDS`); a test may register one more */
    readonly kinds?: readonly KindRegistration[];
    /** tool families beyond the platform's own (test-family.ts) */
    readonly families?: readonly ToolFamily[];
  } = {},
): Promise<TestPlatform> {
  // production refuses a superuser DATABASE_URL
  const db = await freshDatabase({ owner: env.SINAS_ENV === 'production' ? 'app' : 'superuser' });
  const config = loadConfig({
    DATABASE_URL: db.url,
    PORT: '0',
    HOST: '127.0.0.1',
    SINAS_ADMIN_API_KEY: ADMIN_KEY,
    SINAS_ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    SINAS_JWT_SECRET: TEST_JWT_SECRET,
    ...env,
  });
  const log = options.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const platform = await Platform.start(config, log, {
    ...(options.kinds ? { kinds: options.kinds } : {}),
    ...(options.families ? { families: options.families } : {}),
  });
  const url = platform.url!;
  return {
    platform,
    url,
    db,
    api: (path, init = {}) => {
      const { json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (!headers.has('x-api-key') && !headers.has('authorization')) headers.set('x-api-key', ADMIN_KEY);
      if (json !== undefined) headers.set('content-type', 'application/json');
      return fetch(`${url}${path}`, {
        ...rest,
        headers,
        ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
      });
    },
    async stop() {
      await platform.stop();
      await db.drop();
    },
  };
}

/**
 * An API key of an ordinary user `<name>@example.com` (created on first use) in `roles` (default:
 * Users, the role the reference gives ordinary users), for permission and ownership tests.
 */
export async function userKey(
  t: TestPlatform,
  name: string,
  roles: readonly string[] = ['Users'],
): Promise<string> {
  const id = await ensureUser(t, `${name}@example.com`);
  for (const role of roles) {
    const r = await t.api(`/api/v1/roles/${role}/members`, { method: 'POST', json: { user_id: id } });
    if (r.status !== 201) throw new Error(`could not add ${name} to ${role}: ${r.status}`);
  }
  return new ApiKeys(t.platform.services.pool).issue(id, `test key of ${name}`);
}

/** The id of the user with `email`, created when missing. */
export async function ensureUser(t: TestPlatform, email: string): Promise<string> {
  const created = await t.api('/api/v1/users', { method: 'POST', json: { email } });
  if (created.status === 201) return (await created.json()).id as string;
  const found = await (await t.api(`/api/v1/users?search=${encodeURIComponent(email)}`)).json();
  const user = (found as { id: string; email: string }[]).find((u) => u.email === email);
  if (!user) throw new Error(`could not create or find ${email}: ${created.status}`);
  return user.id;
}

/** Makes the OpenAI-compatible server at `baseUrl` (a scripted peer) the platform's default provider. */
export async function useProvider(t: TestPlatform, baseUrl: string, model = 'm'): Promise<void> {
  const r = await t.api('/api/v1/llm-providers', {
    method: 'POST',
    json: { name: 'scripted', api_endpoint: baseUrl, default_model: model, is_default: true },
  });
  if (r.status !== 201) throw new Error(`could not create the provider: ${r.status}`);
}

/**
 * Another turn worker on the platform's store, live bus and services, as a second worker process
 * would be: it can run a turn at the same time as the platform's own. `own`: what it has of its own
 * rather than the platform's (a process's call leases).
 */
export function anotherTurnWorker(t: TestPlatform, own: Partial<TurnRunnerDeps> = {}): TurnRunner {
  const platforms = t.platform.services.turnRunner;
  return new TurnRunner({ ...(platforms as unknown as { d: TurnRunnerDeps }).d, ...own });
}
