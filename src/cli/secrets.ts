/** `sinas secrets rotate-master-key`: re-wraps every live data key under the current master key. */
import type pg from 'pg';
import type { Config } from '../runtime/config.js';
import { loadKeyring } from '../runtime/cipher.js';
import { rotateMasterKey } from '../runtime/secrets/rotate-master-key.js';

/** Returns the exit code: 0 when every live key is now under the current master key. */
export async function rotateMasterKeyCommand(
  pool: pg.Pool,
  config: Config,
  out: (line: string) => void = (l) => console.log(l),
): Promise<number> {
  const keyring = loadKeyring(
    config.encryptionKey,
    config.encryptionKeyPrevious,
    config.env,
    config.dataDir,
    (m) => out(m),
  );
  const r = await rotateMasterKey(pool, keyring);
  out(
    `master key ${r.masterKid}: re-wrapped ${r.rewrapped} data key(s); ${r.current} already under it; events unchanged`,
  );
  if (r.failed.length === 0) return 0;
  out(
    `${r.failed.length} data key(s) could not be opened by any configured master key (add the key that wrapped them to SINAS_ENCRYPTION_KEY_PREVIOUS): ${r.failed.join(', ')}`,
  );
  return 1;
}
