/**
 * The input limits (src/commands/input-limits.ts) applied to every request before any route, the
 * authentication or the idempotency store reads it: the headers the platform reads, the parsed JSON
 * body, a text (YAML) body, and every query parameter. Path parameters are checked by the route
 * registry once they are matched.
 */
import type { RequestHandler } from 'express';
import { checkInput, checkText } from '../commands/input-limits.js';
import { ValidationError } from '../errors.js';

/** an SSE event id the platform sends: a stream revision, or `revision.seq` for a token delta */
export const RESUME_ID = '^\\d{1,18}(\\.\\d{1,15})?$';

/** Headers the platform reads, and the form each must have when present. */
const HEADERS: Readonly<Record<string, { readonly pattern: RegExp; readonly expected: string }>> = {
  'Last-Event-ID': {
    pattern: new RegExp(RESUME_ID),
    expected: 'an event id this server sent (123 or 123.4)',
  },
  'Idempotency-Key': { pattern: /^[\x20-\x7e]{1,255}$/, expected: '1 to 255 printable ASCII characters' },
};

export const inputLimits: RequestHandler = (req, _res, next) => {
  try {
    for (const [name, h] of Object.entries(HEADERS)) {
      const v = req.get(name);
      if (v !== undefined && !h.pattern.test(v))
        throw new ValidationError(`${name}: must be ${h.expected}`, name);
    }
    for (const [k, v] of Object.entries(req.query as Record<string, unknown>)) {
      checkText(k, 'query');
      checkInput(v, k);
    }
    if (typeof req.body === 'string') checkText(req.body, 'body');
    else if (req.body !== undefined) checkInput(req.body);
    next();
  } catch (err) {
    next(err);
  }
};
