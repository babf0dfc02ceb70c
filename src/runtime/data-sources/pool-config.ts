/**
 * How a connection's fields become a `pg` client configuration: host, port, database, user, the
 * opened password, TLS from `ssl_mode`, and a connect timeout so an unreachable host fails in
 * seconds. `pg` cannot fall back from TLS to plain, so `allow` and `prefer` connect without TLS
 * (as libpq's `allow` does first); `require` encrypts without checking the certificate, the
 * `verify-*` modes check it against the system's CAs.
 */
import type pg from 'pg';
import type { SslMode } from '../../commands/database-connection/database-connection-kind.js';

export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly username: string;
  readonly password?: string | undefined;
  readonly ssl_mode?: SslMode | null | undefined;
}

/** a connect attempt gives up after this long (a pool's and the test route's) */
export const CONNECT_TIMEOUT_MS = 5_000;

/** `name` tells the database's administrators which connection a session is (`sinas/<name>`) */
export function clientConfig(t: ConnectionTarget, name = 'test'): pg.ClientConfig {
  return {
    host: t.host,
    port: t.port,
    database: t.database,
    user: t.username,
    ...(t.password !== undefined ? { password: t.password } : {}),
    ssl: sslOf(t.ssl_mode ?? 'disable'),
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: `sinas/${name}`.slice(0, 63),
  };
}

export function poolConfig(
  t: ConnectionTarget,
  name: string,
  sizes: { min?: number | undefined; max?: number | undefined },
): pg.PoolConfig {
  const max = sizes.max ?? 10;
  return { ...clientConfig(t, name), max, min: Math.min(sizes.min ?? 2, max), idleTimeoutMillis: 30_000 };
}

function sslOf(mode: SslMode): pg.ClientConfig['ssl'] {
  switch (mode) {
    case 'disable':
    case 'allow':
    case 'prefer':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
    case 'verify-full':
      return { rejectUnauthorized: true };
    default: {
      const unreachable: never = mode;
      throw new Error(`unknown ssl_mode ${String(unreachable)}`);
    }
  }
}
