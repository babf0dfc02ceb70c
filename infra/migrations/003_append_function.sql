-- One round trip per append batch: lock the head, read the streams' revisions (a new snapshot,
-- taken after the lock is held), check each append's expected revision in order, insert the
-- accepted events, advance streams and head, NOTIFY. Per-append results come back as arrays.
--   p_expected: 'any' | 'no_stream' | 'exists' | a revision number
--   per-event arrays are the appends' events concatenated in order; p_event_append (1-based) and
--   p_event_offset (0-based) say which append each event belongs to and where in it.
CREATE OR REPLACE FUNCTION es_append_batch(
  p_streams text[],
  p_expected text[],
  p_counts int[],
  p_event_append int[],
  p_event_offset int[],
  p_ids uuid[],
  p_types text[],
  p_data jsonb[],
  p_metadata jsonb[],
  OUT ok boolean[],
  OUT actual bigint[],
  OUT first_revision bigint[],
  OUT first_position bigint[]
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
  n int := coalesce(array_length(p_streams, 1), 0);
  head bigint;
  revs jsonb;
  cur bigint;
  exp text;
  passed boolean;
  touched text[] := '{}';
BEGIN
  SELECT position INTO head FROM es_head WHERE id FOR UPDATE;
  SELECT coalesce(jsonb_object_agg(stream_name, revision), '{}'::jsonb) INTO revs
    FROM es_streams WHERE stream_name = ANY (p_streams);
  ok := array_fill(false, ARRAY[n]);
  actual := array_fill(NULL::bigint, ARRAY[n]);
  first_revision := array_fill(NULL::bigint, ARRAY[n]);
  first_position := array_fill(NULL::bigint, ARRAY[n]);
  FOR i IN 1 .. n LOOP
    cur := (revs ->> p_streams[i])::bigint;
    exp := p_expected[i];
    passed := CASE exp
      WHEN 'any' THEN true
      WHEN 'no_stream' THEN cur IS NULL
      WHEN 'exists' THEN cur IS NOT NULL
      ELSE cur IS NOT DISTINCT FROM exp::bigint
    END;
    actual[i] := cur;
    IF passed THEN
      ok[i] := true;
      first_revision[i] := coalesce(cur, -1) + 1;
      first_position[i] := head + 1;
      IF p_counts[i] > 0 THEN
        head := head + p_counts[i];
        revs := jsonb_set(revs, ARRAY[p_streams[i]], to_jsonb(coalesce(cur, -1) + p_counts[i]));
        touched := touched || p_streams[i];
      END IF;
    END IF;
  END LOOP;
  IF array_length(touched, 1) > 0 THEN
    INSERT INTO es_events (position, stream_name, revision, category, event_id, event_type, data, metadata)
    SELECT first_position[a] + o, p_streams[a], first_revision[a] + o, split_part(p_streams[a], '-', 1),
           p_ids[k], p_types[k], p_data[k], p_metadata[k]
      FROM generate_subscripts(p_ids, 1) AS k,
           LATERAL (SELECT p_event_append[k] AS a, p_event_offset[k] AS o) AS ev
     WHERE ok[a];
    INSERT INTO es_streams (stream_name, revision)
    SELECT t, (revs ->> t)::bigint FROM (SELECT DISTINCT unnest(touched) AS t) AS s
    ON CONFLICT (stream_name) DO UPDATE SET revision = EXCLUDED.revision;
    UPDATE es_head SET position = head WHERE id;
    PERFORM pg_notify('sinas_es_head', head::text);
  END IF;
END $$;
