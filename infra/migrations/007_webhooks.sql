-- Outbound event webhooks: where each subscription's delivery stands, and a log of every attempt.
-- `position` is the last `$all` position handled (delivered, or skipped as not visible to the
-- subscription); it never moves past an event whose delivery has not succeeded.
CREATE TABLE IF NOT EXISTS webhook_checkpoints (
  subscription_id uuid PRIMARY KEY,
  position bigint NOT NULL,
  failures integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error text,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id bigserial PRIMARY KEY,
  subscription_id uuid NOT NULL,
  event_id uuid NOT NULL,
  position bigint NOT NULL,
  attempt integer NOT NULL,
  status_code integer,
  error text,
  duration_ms integer NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS webhook_deliveries_subscription_idx ON webhook_deliveries (subscription_id, id);
