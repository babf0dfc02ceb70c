/**
 * Versions as people count them: the first version of anything is 1. A stream's revision counts
 * from 0, so a version is its stream's revision + 1. This is the one place that turns a revision
 * into a version a user sees (a response, an ETag, a read-model column, an event's data) and a
 * version a user sends (`?version=N`, If-Match) back into a revision.
 */
import { ValidationError } from '../errors.js';

/** The version of the stream once the event at `revision` is in it (0: no event yet). */
export function versionOfRevision(revision: bigint | number | undefined): number {
  return revision === undefined ? 0 : Number(revision) + 1;
}

/** The revision of the event that made `version` (version 1: revision 0). */
export function revisionOfVersion(version: number): bigint {
  return BigInt(version) - 1n;
}

/** A version a client named: a whole number from 1 (a ValidationError naming `field` otherwise). */
export function checkedVersion(version: number, field = 'version'): number {
  if (!Number.isSafeInteger(version) || version < 1)
    throw new ValidationError(`${field}: versions count from 1`, field);
  return version;
}
