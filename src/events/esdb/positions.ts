/**
 * `$all` positions. ESDB gives each event a {commit, prepare} pair; the port wants one bigint.
 *
 * Every gRPC append is an implicit transaction: each event is its own committed prepare record, so
 * its commit and prepare positions are both its log position (`AllReader` builds
 * `TFPos(prepare.LogPosition, prepare.LogPosition)`), unique per event and increasing in `$all`
 * order. We expose `commit` as the position and rebuild `{commit: p, prepare: p}` to read from it.
 * (Explicit TCP transactions, where events share one commit position, are never written by us.)
 */
import { START, type Position, type ReadPosition } from '@eventstore/db-client';

/** What servers before 22.6 send for "no position" on stream reads (ulong.MaxValue). */
export const NO_SERVER_POSITION = 2n ** 64n - 1n;

/** Our value when the server did not say (stream reads on servers before 22.6). */
export const UNKNOWN_POSITION = -1n;

export interface PositionSource {
  readonly event?: { readonly position?: Position };
  readonly commitPosition?: bigint;
}

function known(p: bigint | undefined): p is bigint {
  return p !== undefined && p >= 0n && p !== NO_SERVER_POSITION;
}

/**
 * The event's `$all` position: its commit position; else its prepare position (equal for our
 * writes); else the commit position of the resolved record; else UNKNOWN_POSITION (-1n).
 * `$all` reads and subscriptions always carry the first; stream reads do from server 22.6 on.
 */
export function positionOf(resolved: PositionSource): bigint {
  const p = resolved.event?.position;
  if (known(p?.commit)) return p.commit;
  if (known(p?.prepare)) return p.prepare;
  if (known(resolved.commitPosition)) return resolved.commitPosition;
  return UNKNOWN_POSITION;
}

/**
 * Where to start reading `$all` for events strictly after `after`. Reads include the event at the
 * position (callers drop it); subscriptions start after it. Undefined or negative: the start.
 */
export function readFrom(after: bigint | undefined): ReadPosition {
  return after === undefined || after < 0n ? START : toClientPosition(after);
}

export function toClientPosition(position: bigint): Position {
  return { commit: position, prepare: position };
}
