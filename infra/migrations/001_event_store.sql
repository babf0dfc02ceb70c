-- The Postgres event store (DESIGN §4).
-- Appends run in batches that first lock the single es_head row; so positions are handed out
-- in commit order, and a reader that has seen position P will never later find an event <= P.
CREATE TABLE IF NOT EXISTS es_head (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  position bigint NOT NULL
);
INSERT INTO es_head (id, position) VALUES (true, 0) ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS es_streams (
  stream_name text PRIMARY KEY,
  revision bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS es_events (
  position bigint PRIMARY KEY,
  stream_name text NOT NULL,
  revision bigint NOT NULL,
  category text NOT NULL,
  event_id uuid NOT NULL,
  event_type text NOT NULL,
  data jsonb NOT NULL,
  metadata jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (stream_name, revision)
);
CREATE INDEX IF NOT EXISTS es_events_category_position ON es_events (category, position);
CREATE INDEX IF NOT EXISTS es_events_type_position ON es_events (event_type, position);
