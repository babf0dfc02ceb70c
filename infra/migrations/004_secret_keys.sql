-- The secrets key store (DESIGN §9): one random AES-256 data key per secret (per incarnation: a
-- secret deleted and created again has a new id), wrapped with AES-256-GCM by the master key
-- (SINAS_ENCRYPTION_KEY) and bound to its secret id. Never written to an event. Destroying a key
-- (wrapped_key NULL, destroyed_at set) crypto-shreds every value the secret's stream ever held.
-- `sinas secrets rotate-master-key` re-wraps the live keys under the current master key.
CREATE TABLE IF NOT EXISTS secret_keys (
  secret_id uuid PRIMARY KEY,
  -- {alg, kid (the master key's id), iv, tag, ct}; NULL once destroyed
  wrapped_key jsonb,
  -- the id of the master key that wrapped it (the key version); NULL once destroyed
  master_kid text,
  created_at timestamptz NOT NULL DEFAULT now(),
  rotated_at timestamptz,
  destroyed_at timestamptz,
  CHECK ((wrapped_key IS NULL) = (destroyed_at IS NOT NULL)),
  CHECK ((wrapped_key IS NULL) = (master_kid IS NULL))
);
CREATE INDEX IF NOT EXISTS secret_keys_master_kid_idx ON secret_keys (master_kid) WHERE wrapped_key IS NOT NULL;
