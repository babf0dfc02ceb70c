/**
 * The embedded database's generated passwords: each lives in one file of the data dir, mode 0600,
 * readable by this process's user only. A new one is written beside the final name first and
 * moved into place only after the database has accepted it (`commit`), so a crash in between
 * leaves no file naming a password the database does not know. The database is told a SCRAM
 * verifier, never the plaintext.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';

export function readPassword(file: string): string | undefined {
  if (!existsSync(file)) return undefined;
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  const pw = readFileSync(file, 'utf8').trim();
  return pw === '' ? undefined : pw;
}

export interface PendingPassword {
  readonly password: string;
  /** moves the password into its file, once the database has it */
  commit(): void;
}

export function newPassword(file: string): PendingPassword {
  const password = randomBytes(24).toString('base64url');
  const pending = `${file}.new`;
  writeFileSync(pending, `${password}\n`, { mode: 0o600 });
  chmodSync(pending, 0o600);
  return { password, commit: () => renameSync(pending, file) };
}

/** `SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`, as Postgres stores a password. */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
  const stored = createHash('sha256').update(hmac(salted, 'Client Key')).digest();
  const server = hmac(salted, 'Server Key');
  const b64 = (b: Buffer) => b.toString('base64');
  return `SCRAM-SHA-256$${iterations}:${b64(salt)}$${b64(stored)}:${b64(server)}`;
}
