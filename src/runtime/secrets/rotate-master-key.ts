/**
 * Master-key rotation (`sinas secrets rotate-master-key`): re-wraps every live data key under the
 * current SINAS_ENCRYPTION_KEY, opening it with whichever configured key wrapped it (the current one
 * or one in SINAS_ENCRYPTION_KEY_PREVIOUS). Events are untouched: they hold ciphertext under the data
 * keys, which do not change. Each key is re-wrapped in its own short transaction under a row lock, so
 * a concurrent delete either shreds it first (skipped here) or after (the new wrap is destroyed).
 * Once it reports nothing left, the previous master key can be retired.
 */
import type pg from 'pg';
import { inTransaction } from '../../projections/transaction.js';
import type { Keyring, Sealed } from '../cipher.js';

export interface RotationReport {
  /** the current master key's id */
  readonly masterKid: string;
  readonly rewrapped: number;
  /** live keys already under the current master key */
  readonly current: number;
  /** secret ids whose key no configured master key opens (left as they were) */
  readonly failed: readonly string[];
}

export async function rotateMasterKey(pool: pg.Pool, keyring: Keyring): Promise<RotationReport> {
  const kid = keyring.kid;
  const { rows } = await pool.query<{ secret_id: string }>(
    'SELECT secret_id FROM secret_keys WHERE wrapped_key IS NOT NULL AND master_kid <> $1 ORDER BY secret_id',
    [kid],
  );
  let rewrapped = 0;
  const failed: string[] = [];
  for (const { secret_id } of rows) {
    const done = await inTransaction(pool, async (tx) => {
      const { rows: locked } = await tx.query<{ wrapped_key: Sealed | null }>(
        'SELECT wrapped_key FROM secret_keys WHERE secret_id = $1 FOR UPDATE',
        [secret_id],
      );
      const wrapped = locked[0]?.wrapped_key;
      if (!wrapped || wrapped.kid === kid) return 'skipped';
      let key: Buffer;
      try {
        key = keyring.openBytes(wrapped, secret_id);
      } catch {
        return 'failed'; // its master key is not configured (or the row was tampered with)
      }
      const rewrap = keyring.seal(key, secret_id);
      key.fill(0);
      await tx.query(
        'UPDATE secret_keys SET wrapped_key = $2::jsonb, master_kid = $3, rotated_at = now() WHERE secret_id = $1',
        [secret_id, JSON.stringify(rewrap), rewrap.kid],
      );
      return 'rewrapped';
    });
    if (done === 'rewrapped') rewrapped++;
    if (done === 'failed') failed.push(secret_id);
  }
  const { rows: count } = await pool.query<{ n: string }>(
    'SELECT count(*) AS n FROM secret_keys WHERE wrapped_key IS NOT NULL AND master_kid = $1',
    [kid],
  );
  return { masterKid: kid, rewrapped, current: Number(count[0]!.n) - rewrapped, failed };
}
