-- Revoked credentials (README "Login and tokens"), shared by every API process; each process holds
-- them in memory and hears new ones on the `sinas_revocations` channel.
-- Token ids: an access token's `jti`, or a login's session id (its refresh-token family, the `sid`
-- claim of every access token of that login). Kept until the tokens they name have expired.
CREATE TABLE IF NOT EXISTS revoked_tokens (
  token_id text PRIMARY KEY,
  user_id text NOT NULL,
  reason text NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS revoked_tokens_expiry_idx ON revoked_tokens (expires_at);

-- Per-user cutoffs: every credential of the user issued at or before `cutoff_at` (API keys,
-- refresh tokens, access tokens) is dead, also after a reactivation. Set by deactivation and
-- deletion; it only ever moves forward.
CREATE TABLE IF NOT EXISTS credential_cutoffs (
  user_id text PRIMARY KEY,
  cutoff_at timestamptz NOT NULL,
  reason text NOT NULL
);
CREATE INDEX IF NOT EXISTS refresh_tokens_user_idx ON refresh_tokens (user_id);
