-- API requests for the admin views (`GET /api/v1/request-logs`, src/runtime/admin/request-logs.ts):
-- method, path without its query string, status, duration and the caller's user id; never bodies,
-- query strings, headers or credentials. Written in batches off the request path; pruned by age
-- (SINAS_REQUEST_LOG_MAX_AGE_MS) and count (SINAS_REQUEST_LOG_MAX_ROWS).
CREATE TABLE IF NOT EXISTS request_logs (
  seq bigserial PRIMARY KEY,
  request_id uuid NOT NULL,
  at timestamptz NOT NULL,
  user_id text,
  method text NOT NULL,
  path text NOT NULL,
  status_code integer NOT NULL,
  response_time_ms integer NOT NULL
);
CREATE INDEX IF NOT EXISTS request_logs_at_idx ON request_logs (at DESC);
CREATE INDEX IF NOT EXISTS request_logs_user_idx ON request_logs (user_id, at DESC);
