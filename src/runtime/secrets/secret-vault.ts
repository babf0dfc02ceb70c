/**
 * Decrypts secrets for a trusted shared-pool run, at run time: the shared secrets overlaid with the
 * executing user's private ones (private wins, reference §5.1). Each value is opened with its
 * secret's data key, itself unwrapped with the master keyring. Plaintext lives only in the returned
 * object, which goes to the run's context and nowhere else.
 */
import type pg from 'pg';
import type { Sealed } from '../cipher.js';
import type { Keyring } from '../cipher.js';
import { unwrapDataKey } from './data-keys.js';

export interface ContextSecrets {
  readonly secrets: Record<string, string>;
  /** names whose value could not be opened (a master key missing from the keyring, or shredded) */
  readonly unreadable: readonly string[];
}

interface Row {
  readonly id: string;
  readonly name: string;
  readonly value: Sealed;
  readonly wrapped_key: Sealed | null;
}

export class SecretVault {
  constructor(
    private readonly pool: pg.Pool,
    private readonly keyring: Keyring,
  ) {}

  async forUser(userId: string): Promise<ContextSecrets> {
    const { rows } = await this.pool.query<Row>(
      `SELECT s.id, s.name, s.value, k.wrapped_key FROM secrets s
         LEFT JOIN secret_keys k ON k.secret_id = s.id
        WHERE s.visibility = 'shared' OR (s.visibility = 'private' AND s.owner_id = $1)
        ORDER BY s.visibility = 'private', s.name`,
      [userId],
    );
    const secrets: Record<string, string> = {};
    const unreadable: string[] = [];
    for (const r of rows) {
      try {
        if (!r.wrapped_key) throw new Error('the data key is destroyed');
        secrets[r.name] = unwrapDataKey(this.keyring, r.id, r.wrapped_key).open(r.value, r.id);
      } catch {
        unreadable.push(r.name); // reported on the execution's log by name; the shared one stays if any
      }
    }
    return { secrets, unreadable: unreadable.filter((n) => !(n in secrets)) };
  }

  /**
   * The value of the secret `name` for `userId`: their private one, else the shared one (a
   * connector's auth); undefined when there is neither, or it cannot be opened.
   */
  async value(userId: string, name: string): Promise<string | undefined> {
    const { rows } = await this.pool.query<Row>(
      `SELECT s.id, s.name, s.value, k.wrapped_key FROM secrets s
         JOIN secret_keys k ON k.secret_id = s.id
        WHERE s.name = $2 AND (s.visibility = 'shared' OR (s.visibility = 'private' AND s.owner_id = $1))
        ORDER BY s.visibility = 'private' DESC`,
      [userId, name],
    );
    for (const r of rows) {
      try {
        return unwrapDataKey(this.keyring, r.id, r.wrapped_key!).open(r.value, r.id);
      } catch {
        continue; // sealed under a master key no longer configured: the next one (shared) may open
      }
    }
    return undefined;
  }

  /**
   * One value opened with its secret's data key (a config apply compares the stored value with the
   * desired one, so an unchanged value writes nothing); undefined when the key is destroyed.
   */
  async open(secretId: string, value: Sealed): Promise<string | undefined> {
    const { rows } = await this.pool.query<{ wrapped_key: Sealed | null }>(
      'SELECT wrapped_key FROM secret_keys WHERE secret_id = $1',
      [secretId],
    );
    const wrapped = rows[0]?.wrapped_key;
    return wrapped ? unwrapDataKey(this.keyring, secretId, wrapped).open(value, secretId) : undefined;
  }
}
