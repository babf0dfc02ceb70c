/**
 * The port to the key store: the service decides and records; the store keeps the credential (only
 * its hash) and is what authentication reads, so a revocation takes effect the moment it returns.
 */
import type { PermissionMap } from '../identity/permissions.js';

export interface IssuedKey {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly permissions: PermissionMap | null;
  readonly expiresAt: Date | null;
}

export interface ApiKeyCredentials {
  /** stores a new key's hash under `key.id`; returns the plaintext (shown once, never stored) */
  issueKey(key: IssuedKey): Promise<string>;
  /** stops the key at once; false when it already was */
  revoke(id: string, by: string): Promise<boolean>;
  /** the bootstrap admin key is managed by SINAS_ADMIN_API_KEY, never through the API */
  isBootstrap(id: string): Promise<boolean>;
}
