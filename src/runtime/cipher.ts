/**
 * AES-256-GCM sealing. A `Cipher` seals under one 32-byte key; a `Keyring` is the master key from
 * SINAS_ENCRYPTION_KEY (or, in development only, a key generated once into SINAS_DATA_DIR) plus the
 * previous master keys from SINAS_ENCRYPTION_KEY_PREVIOUS, so values sealed before a rotation still
 * open. Provider API keys are sealed directly under the master key; secrets use per-secret data keys
 * that the master key wraps (src/runtime/secrets). Events and tables hold only the sealed form.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { IllegalStateError, ValidationError } from '../errors.js';

export interface Sealed {
  readonly alg: 'A256GCM';
  /** the id of the key it is sealed under */
  readonly kid: string;
  readonly iv: string;
  readonly tag: string;
  readonly ct: string;
}

/** What seals and opens: one key (`Cipher`) or the master keyring. */
export interface Sealer {
  readonly kid: string;
  seal(plain: string | Buffer, aad?: string): Sealed;
  open(s: Sealed, aad?: string): string;
  openBytes(s: Sealed, aad?: string): Buffer;
}

export class Cipher implements Sealer {
  readonly kid: string;

  /** `kid` defaults to a fingerprint of the key (master keys); data keys pass their own id */
  constructor(
    private readonly key: Buffer,
    kid?: string,
  ) {
    if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
    this.kid = kid ?? createHash('sha256').update(key).digest('hex').slice(0, 12);
  }

  /** `aad` binds the ciphertext to a context (a secret id): it opens only with the same aad */
  seal(plain: string | Buffer, aad?: string): Sealed {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    if (aad !== undefined) c.setAAD(Buffer.from(aad, 'utf8'));
    const data = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
    const ct = Buffer.concat([c.update(data), c.final()]);
    return {
      alg: 'A256GCM',
      kid: this.kid,
      iv: iv.toString('base64'),
      tag: c.getAuthTag().toString('base64'),
      ct: ct.toString('base64'),
    };
  }

  open(s: Sealed, aad?: string): string {
    return this.openBytes(s, aad).toString('utf8');
  }

  openBytes(s: Sealed, aad?: string): Buffer {
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(s.iv, 'base64'));
    if (aad !== undefined) d.setAAD(Buffer.from(aad, 'utf8'));
    d.setAuthTag(Buffer.from(s.tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(s.ct, 'base64')), d.final()]);
  }
}

/** The current master key seals; it or any previous one opens, chosen by the sealed value's kid. */
export class Keyring implements Sealer {
  private readonly byKid: ReadonlyMap<string, Cipher>;

  constructor(
    readonly current: Cipher,
    previous: readonly Cipher[] = [],
  ) {
    this.byKid = new Map([...previous, current].map((c) => [c.kid, c]));
  }

  get kid(): string {
    return this.current.kid;
  }

  seal(plain: string | Buffer, aad?: string): Sealed {
    return this.current.seal(plain, aad);
  }

  open(s: Sealed, aad?: string): string {
    return this.openBytes(s, aad).toString('utf8');
  }

  openBytes(s: Sealed, aad?: string): Buffer {
    const c = this.byKid.get(s.kid);
    if (!c)
      throw new IllegalStateError(
        `sealed under master key ${s.kid}, which is neither SINAS_ENCRYPTION_KEY nor in SINAS_ENCRYPTION_KEY_PREVIOUS`,
      );
    return c.openBytes(s, aad);
  }
}

export function isSealed(v: unknown): v is Sealed {
  return (
    typeof v === 'object' &&
    v !== null &&
    (v as Sealed).alg === 'A256GCM' &&
    typeof (v as Sealed).ct === 'string'
  );
}

/** A 32-byte key: base64 of 32 bytes, or any other string of 32+ characters hashed with SHA-256. */
export function keyFromString(value: string, variable = 'SINAS_ENCRYPTION_KEY'): Buffer {
  const b = Buffer.from(value, 'base64');
  if (b.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(value)) return b;
  if (value.length < 32)
    throw new ValidationError(`${variable} must be 32 bytes in base64 or at least 32 characters`, variable);
  return createHash('sha256').update(value).digest();
}

export function loadKeyring(
  configured: string | undefined,
  previous: readonly string[],
  env: string,
  dataDir: string,
  warn: (m: string) => void,
): Keyring {
  const old = previous.map((p) => new Cipher(keyFromString(p, 'SINAS_ENCRYPTION_KEY_PREVIOUS')));
  if (configured) return new Keyring(new Cipher(keyFromString(configured)), old);
  if (env === 'production')
    throw new ValidationError('SINAS_ENCRYPTION_KEY is required in production', 'SINAS_ENCRYPTION_KEY');
  const file = path.resolve(dataDir, 'encryption.key');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
    chmodSync(file, 0o600);
    warn(
      `development: generated an encryption key in ${file}; set SINAS_ENCRYPTION_KEY for production and for several processes`,
    );
  }
  return new Keyring(new Cipher(keyFromString(readFileSync(file, 'utf8').trim())), old);
}
