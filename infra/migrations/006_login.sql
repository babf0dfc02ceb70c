-- Login by one-time code and refresh tokens (reference §1.1; README "Login and tokens").
-- A login session holds only an HMAC of its code (keyed from SINAS_JWT_SECRET), never the code.
CREATE TABLE IF NOT EXISTS login_sessions (
  id uuid PRIMARY KEY,
  user_id text NOT NULL,
  code_hash text NOT NULL,
  attempts int NOT NULL DEFAULT 0,
  max_attempts int NOT NULL,
  expires_at timestamptz NOT NULL,
  verified_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS login_sessions_user_idx ON login_sessions (user_id);

-- Refresh tokens: SHA-256 hash and an 8-character prefix only. Each login starts a family; a
-- refresh consumes its token and issues the family's next one; presenting a consumed token again
-- revokes the whole family.
CREATE TABLE IF NOT EXISTS refresh_tokens (
  id uuid PRIMARY KEY,
  family_id uuid NOT NULL,
  user_id text NOT NULL,
  token_hash text NOT NULL UNIQUE,
  prefix text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  replaced_by uuid,
  revoked_at timestamptz,
  revoked_reason text
);
CREATE INDEX IF NOT EXISTS refresh_tokens_family_idx ON refresh_tokens (family_id);

-- Fixed-window counters of the login rate limits and of security-event recording, shared by every
-- API process. Old windows are deleted as new ones are counted.
CREATE TABLE IF NOT EXISTS auth_rate_limits (
  bucket text NOT NULL,
  window_start timestamptz NOT NULL,
  hits int NOT NULL,
  PRIMARY KEY (bucket, window_start)
);
