/** Our ReadStreamOptions in the client's vocabulary. */
import {
  BACKWARDS,
  END,
  FORWARDS,
  START,
  type ReadStreamOptions as ClientReadStreamOptions,
} from '@eventstore/db-client';
import { ValidationError } from '../../errors.js';
import type { ReadStreamOptions } from '../event-store.js';

/** Both bounds are inclusive in ESDB and in the port; the default start follows the direction. */
export function toClientReadStreamOptions(options: ReadStreamOptions = {}): ClientReadStreamOptions {
  const backwards = options.direction === 'backwards';
  if (options.fromRevision !== undefined && options.fromRevision < 0n) {
    throw new ValidationError(`fromRevision must be >= 0, got ${options.fromRevision}`, 'fromRevision');
  }
  if (options.maxCount !== undefined && (!Number.isInteger(options.maxCount) || options.maxCount < 0)) {
    throw new ValidationError(`maxCount must be a non-negative integer, got ${options.maxCount}`, 'maxCount');
  }
  return {
    direction: backwards ? BACKWARDS : FORWARDS,
    fromRevision: options.fromRevision ?? (backwards ? END : START),
    ...(options.maxCount !== undefined ? { maxCount: options.maxCount } : {}),
  };
}
