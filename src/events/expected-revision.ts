/** The one check of an expected revision against a stream's current revision (undefined = no stream). */
import { ConcurrencyError } from '../errors.js';
import type { ExpectedRevision } from './event-store.js';

export function checkExpectedRevision(
  stream: string,
  expected: ExpectedRevision,
  current: bigint | undefined,
): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === undefined) ||
    (expected === 'exists' && current !== undefined) ||
    (typeof expected === 'bigint' && current === expected);
  if (!ok) {
    throw new ConcurrencyError(
      stream,
      String(expected),
      current === undefined ? 'no_stream' : String(current),
    );
  }
}
