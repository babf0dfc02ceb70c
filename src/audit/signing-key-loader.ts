/**
 * The audit export signing key: an Ed25519 private key in PEM (or base64 of the PEM) from
 * SINAS_AUDIT_SIGNING_KEY; required in production; in development one is generated once into the
 * data directory (set it explicitly when several processes serve exports).
 */
import { generateKeyPairSync } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../errors.js';
import { signingKey, type SigningKey } from './export-chain.js';

export function loadSigningKey(
  configured: string | undefined,
  env: string,
  dataDir: string,
  warn: (m: string) => void,
): SigningKey {
  const variable = 'SINAS_AUDIT_SIGNING_KEY';
  if (configured) {
    const pem = configured.includes('BEGIN')
      ? configured
      : Buffer.from(configured, 'base64').toString('utf8');
    try {
      return signingKey(pem);
    } catch (err) {
      throw new ValidationError(
        `${variable}: not an Ed25519 private key in PEM (${(err as Error).message})`,
        variable,
      );
    }
  }
  if (env === 'production') throw new ValidationError(`${variable} is required in production`, variable);
  const file = path.resolve(dataDir, 'audit-signing-key.pem');
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
    chmodSync(file, 0o600);
    warn(`development: generated an audit signing key in ${file}; set ${variable} for production`);
  }
  return signingKey(readFileSync(file, 'utf8'));
}
