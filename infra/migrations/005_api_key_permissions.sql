-- API keys managed by their users (reference §1.2): an optional permission map (NULL: the owner's
-- role permissions; otherwise the key may do only what both its map and its owner's roles allow),
-- an optional expiry, who revoked it, and when it was last used.
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS permissions jsonb;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS expires_at timestamptz;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS revoked_by text;
ALTER TABLE api_keys ADD COLUMN IF NOT EXISTS last_used_at timestamptz;
CREATE INDEX IF NOT EXISTS api_keys_user_idx ON api_keys (user_id, created_at DESC);
