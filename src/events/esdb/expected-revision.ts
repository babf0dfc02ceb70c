/** Our ExpectedRevision in the client's vocabulary, and back again for error messages. */
import {
  ANY,
  NO_STREAM,
  STREAM_EXISTS,
  type AppendExpectedRevision,
  type CurrentRevision,
} from '@eventstore/db-client';
import { ValidationError } from '../../errors.js';
import type { ExpectedRevision } from '../event-store.js';

export function toClientExpectedRevision(expected: ExpectedRevision): AppendExpectedRevision {
  switch (expected) {
    case 'no_stream':
      return NO_STREAM;
    case 'exists':
      return STREAM_EXISTS;
    case 'any':
      return ANY;
    default: {
      if (expected < 0n)
        throw new ValidationError(`expected revision must be >= 0, got ${expected}`, 'expected');
      return expected;
    }
  }
}

/** Same spelling as the Postgres adapter's ConcurrencyError: 'no_stream' | 'exists' | 'any' | '<n>'. */
export function formatExpected(expected: ExpectedRevision): string {
  return String(expected);
}

/**
 * The client reports "no stream" as 'no_stream', or, when it parses raw gRPC metadata, as a
 * negative number (-1); both mean the stream has no events.
 */
export function formatActual(actual: CurrentRevision | bigint | undefined): string {
  if (actual === undefined || actual === NO_STREAM) return 'no_stream';
  return actual < 0n ? 'no_stream' : String(actual);
}
