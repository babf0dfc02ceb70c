-- File contents (reference §5.8), in chunks of up to 1 MiB per row: every API process on every host
-- reads the same bytes, and no upload or download holds a whole file in memory. A blob's key is
-- made fresh per version and never reused; file events name it, never carry the bytes.
CREATE TABLE IF NOT EXISTS file_blobs (
  key text NOT NULL,
  seq int NOT NULL,
  data bytea NOT NULL,
  PRIMARY KEY (key, seq)
);
