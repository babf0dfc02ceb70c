/**
 * `sinas admin-key reset`: a new bootstrap admin API key, for whoever has the data dir (or
 * DATABASE_URL) but lost the key, or never saw it. Every earlier bootstrap key is revoked in the
 * same transaction; the change is recorded as `ApiKeyRevoked` / `ApiKeyCreated` events, as the
 * API-key routes record theirs. A key configured by SINAS_ADMIN_API_KEY is not reset here.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { EventStore } from '../events/event-store.js';
import { streams } from '../events/stream-names.js';
import { ApiKeys } from '../runtime/auth/api-keys.js';
import type { Config } from '../runtime/config.js';

/** Why the command will not run: the bootstrap key is configured, not generated. */
export function configuredKeyRefusal(config: Config): string | undefined {
  return config.adminApiKey
    ? 'sinas: SINAS_ADMIN_API_KEY is set, so the bootstrap admin key is that value: change the variable and restart instead'
    : undefined;
}

export async function adminKeyResetCommand(
  pool: pg.Pool,
  store: EventStore,
  config: Config,
  out: (line: string) => void = (l) => console.log(l),
  err: (line: string) => void = (l) => console.error(l),
): Promise<number> {
  const refused = configuredKeyRefusal(config);
  if (refused) {
    err(refused);
    return 2;
  }
  const id = randomUUID();
  const r = await new ApiKeys(pool).resetBootstrap(id);
  // the key store changed atomically; the events that record it follow (the store may be EventStoreDB)
  const at = new Date().toISOString();
  const commandId = `admin-key-reset-${id}`;
  const metadata = {
    correlationId: commandId,
    causationId: commandId,
    actor: 'system',
    commandId,
    version: 1,
  };
  for (const keyId of r.revoked)
    await store.append(
      streams.apiKey(keyId),
      [{ id: randomUUID(), type: 'ApiKeyRevoked', data: { keyId, at }, metadata }],
      'any',
    );
  const data = {
    keyId: id,
    userId: r.userId,
    name: 'bootstrap admin',
    permissions: null,
    expiresAt: null,
    at,
  };
  await store.append(
    streams.apiKey(id),
    [{ id: randomUUID(), type: 'ApiKeyCreated', data, metadata }],
    'no_stream',
  );
  out(`\n  New bootstrap admin API key (shown once; store it now):\n\n    ${r.key}\n`);
  out(
    `  ${r.revoked.length} earlier bootstrap key(s) revoked; a running server stops accepting them within 5 s.`,
  );
  return 0;
}
