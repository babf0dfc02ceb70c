/**
 * Sealing of write-only values (provider API keys): AES-256-GCM under a key from
 * SINAS_ENCRYPTION_KEY, or, in development only, a key generated once into SINAS_DATA_DIR.
 * Events and tables hold only the sealed form. (Per-secret data keys and crypto-shredding come
 * with the secrets resource.)
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors.js';

export interface Sealed {
  readonly alg: 'A256GCM';
  readonly kid: string;
  readonly iv: string;
  readonly tag: string;
  readonly ct: string;
}

export class Cipher {
  readonly kid: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
    this.kid = createHash('sha256').update(key).digest('hex').slice(0, 12);
  }

  seal(plain: string): Sealed {
    const iv = randomBytes(12);
    const c = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
    return {
      alg: 'A256GCM',
      kid: this.kid,
      iv: iv.toString('base64'),
      tag: c.getAuthTag().toString('base64'),
      ct: ct.toString('base64'),
    };
  }

  open(s: Sealed): string {
    const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(s.iv, 'base64'));
    d.setAuthTag(Buffer.from(s.tag, 'base64'));
    return Buffer.concat([d.update(Buffer.from(s.ct, 'base64')), d.final()]).toString('utf8');
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
export function keyFromString(value: string): Buffer {
  const b = Buffer.from(value, 'base64');
  if (b.length === 32 && /^[A-Za-z0-9+/=_-]+$/.test(value)) return b;
  if (value.length < 32)
    throw new ValidationError(
      'SINAS_ENCRYPTION_KEY must be 32 bytes in base64 or at least 32 characters',
      'SINAS_ENCRYPTION_KEY',
    );
  return createHash('sha256').update(value).digest();
}

export function loadCipher(
  configured: string | undefined,
  env: string,
  dataDir: string,
  warn: (m: string) => void,
): Cipher {
  if (configured) return new Cipher(keyFromString(configured));
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
  return new Cipher(keyFromString(readFileSync(file, 'utf8').trim()));
}
