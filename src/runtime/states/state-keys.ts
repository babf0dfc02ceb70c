/**
 * Encrypted states' data keys (reference §5.7, DESIGN §9): one AES-256 key per state incarnation, in
 * the secrets' key store (`secret_keys`, keyed by the state's id, wrapped by the master keyring, so
 * `sinas secrets rotate-master-key` re-wraps them too). A value is sealed as JSON bound to the state's
 * id; deleting the state destroys the key, and every value its stream ever held is unreadable.
 */
import type pg from 'pg';
import type { SealedValue } from '../../events/secret-events.js';
import type { Keyring, Sealed } from '../cipher.js';
import { destroyDataKey, PgDataKeys, unwrapDataKey } from '../secrets/data-keys.js';

export class StateKeys {
  private readonly keys: PgDataKeys;

  constructor(
    private readonly pool: pg.Pool,
    private readonly keyring: Keyring,
  ) {
    this.keys = new PgDataKeys(pool, keyring);
  }

  /** `value` sealed under the state's key, made on its first sealed write */
  async seal(stateId: string, value: unknown): Promise<SealedValue> {
    const key = (await this.keys.get(stateId)) ?? (await this.keys.create(stateId));
    return key.seal(JSON.stringify(value ?? null), stateId);
  }

  /** the value sealed under the state's key; undefined once the key is destroyed */
  async open(stateId: string, sealed: SealedValue): Promise<{ value: unknown } | undefined> {
    const { rows } = await this.pool.query<{ wrapped_key: Sealed | null }>(
      'SELECT wrapped_key FROM secret_keys WHERE secret_id = $1',
      [stateId],
    );
    const wrapped = rows[0]?.wrapped_key;
    if (!wrapped) return undefined;
    return { value: JSON.parse(unwrapDataKey(this.keyring, stateId, wrapped).open(sealed, stateId)) };
  }

  destroy(stateId: string): Promise<void> {
    return destroyDataKey(this.pool, stateId);
  }
}
