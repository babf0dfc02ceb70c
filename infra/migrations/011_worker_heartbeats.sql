-- Worker processes alive (the admin view `GET /api/v1/workers`, src/runtime/admin/heartbeat.ts):
-- each worker or all-in-one process upserts its row every SINAS_WORKER_HEARTBEAT_MS, with the
-- database's clock; readers show only rows seen within SINAS_WORKER_TTL_MS, and every beat prunes
-- rows older than that, so a killed process drops out on its own. `executions`: function runs its
-- workers finished since it started; `pool`: its function runner's sandbox pool as of the beat
-- (`GET /api/v1/containers/stats` merges the live processes' pools).
CREATE TABLE IF NOT EXISTS worker_heartbeats (
  id text PRIMARY KEY,
  role text NOT NULL,
  pid integer NOT NULL,
  host text NOT NULL,
  started_at timestamptz NOT NULL,
  last_seen timestamptz NOT NULL,
  executions bigint NOT NULL DEFAULT 0,
  pool jsonb
);
CREATE INDEX IF NOT EXISTS worker_heartbeats_seen_idx ON worker_heartbeats (last_seen);
