/**
 * The `built-in` database connection (reference §5.3, `managed_by: system`), ensured at start: it
 * points at the data database, never the platform's own (embedded: `sinas_data` with its own role;
 * an external DATABASE_URL: SINAS_DATA_DATABASE_URL, and none when that is unset). An existing one
 * pointing elsewhere (a new URL, a new password) is updated; one already right writes nothing. Two
 * processes starting together write it once: the command id is derived from the target. Answers
 * the position of what it wrote, for the caller to wait for the read model.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import {
  BUILT_IN_CONNECTION,
  SYSTEM_ACTOR,
} from '../../commands/database-connection/database-connection-kind.js';
import type { ResourceService } from '../../commands/resource/resource-service.js';
import { AlreadyExistsError, ConcurrencyError, NotFoundError } from '../../errors.js';
import type { Keyring, Sealed } from '../cipher.js';

/** a connection's fields from a postgres:// URL (`?host=/socket/dir` for a unix socket) */
export function targetOf(url: string): Record<string, unknown> {
  const u = new URL(url);
  const sslmode = u.searchParams.get('sslmode');
  return {
    connection_type: 'postgresql',
    host: u.searchParams.get('host') ?? u.hostname,
    port: Number(u.port || 5432),
    database: decodeURIComponent(u.pathname.slice(1)),
    username: decodeURIComponent(u.username),
    password: u.password ? decodeURIComponent(u.password) : null,
    ssl_mode: sslmode ?? null,
  };
}

export async function ensureBuiltInConnection(
  service: ResourceService,
  cipher: Keyring,
  url: string | undefined,
  log: Logger,
): Promise<bigint | undefined> {
  if (!url) {
    log.info(
      'no data database (SINAS_DATA_DATABASE_URL unset beside DATABASE_URL): no built-in database connection',
    );
    return undefined;
  }
  const target = targetOf(url);
  const current = await service.current('default', BUILT_IN_CONNECTION).catch((err: unknown) => {
    if (err instanceof NotFoundError) return undefined; // not made yet
    throw err;
  });
  if (current && same(current.spec, target, cipher)) return undefined;
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 32);
  const ctx = { commandId: `built-in-connection:${hash}`, actor: SYSTEM_ACTOR };
  try {
    const r = current
      ? await service.update('default', BUILT_IN_CONNECTION, target, ctx)
      : await service.create({ name: BUILT_IN_CONNECTION, ...target }, ctx);
    log.info({ host: target.host, database: target.database }, 'built-in database connection ensured');
    return r.position;
  } catch (err) {
    // another process started at the same time and wrote it
    if (!(err instanceof AlreadyExistsError || err instanceof ConcurrencyError)) throw err;
    return undefined;
  }
}

function same(
  spec: Readonly<Record<string, unknown>>,
  target: Record<string, unknown>,
  cipher: Keyring,
): boolean {
  const { password, ...fields } = target;
  if (Object.entries(fields).some(([k, v]) => (spec[k] ?? null) !== v)) return false;
  if (spec.password == null || password == null) return spec.password == password;
  try {
    return cipher.open(spec.password as Sealed) === password;
  } catch {
    return false; // sealed under a master key no longer configured: seal it anew
  }
}
