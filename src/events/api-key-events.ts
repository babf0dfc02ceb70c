/**
 * API key events (`apikey-<keyId>`): who made or revoked a key, what it may do and until when. No
 * event carries key material (neither the key nor its hash): the credential itself is kept only as a
 * hash in the key store, so an audit export never holds anything a key could be rebuilt from.
 */

export interface ApiKeyCreatedData {
  readonly keyId: string;
  readonly userId: string;
  readonly name: string;
  /** the key's own permission map; null: its owner's role permissions */
  readonly permissions: Readonly<Record<string, boolean>> | null;
  readonly expiresAt: string | null;
  readonly at: string;
}

export type ApiKeyEvent =
  | { readonly type: 'ApiKeyCreated'; readonly data: ApiKeyCreatedData }
  | { readonly type: 'ApiKeyRevoked'; readonly data: { readonly keyId: string; readonly at: string } };
