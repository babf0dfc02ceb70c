-- A projection batch sent as one round trip (src/projections/batch-sql.ts) starts by claiming its
-- checkpoint: the row is locked, and unless it is still at the position the runner applied up to,
-- this raises SQLSTATE SN001 (DETAIL: the position found, empty when the row is gone), so nothing
-- after it in the batch (the rows, the checkpoint's move, the COMMIT) runs on a checkpoint that moved.
CREATE OR REPLACE FUNCTION sinas_claim_checkpoint(p_name text, p_expected bigint) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  at_position bigint;
BEGIN
  SELECT position INTO at_position FROM projection_checkpoints WHERE name = p_name FOR UPDATE;
  IF at_position IS DISTINCT FROM p_expected THEN
    RAISE EXCEPTION 'the checkpoint of projection % moved', p_name
      USING ERRCODE = 'SN001', DETAIL = coalesce(at_position::text, '');
  END IF;
END $$;
