/**
 * What a delivery hands its function (reference §5.10): the JSON body when it is JSON, the query
 * parameters for GET, otherwise `{}`; a body that is not an object is wrapped as `{input: …}`;
 * `default_values` lie under it (the delivery wins). And the value a dedup key names: a JSON path
 * into that body (`$.a.b`), or a header (`header:X-Delivery-Id`), hashed for the stream name.
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '../../errors.js';

export interface Incoming {
  readonly method: string;
  /** the parsed body when the request was JSON, else undefined */
  readonly json: unknown;
  readonly query: Readonly<Record<string, unknown>>;
  readonly header: (name: string) => string | undefined;
}

export function webhookInput(
  defaults: Readonly<Record<string, unknown>>,
  incoming: Incoming,
): Record<string, unknown> {
  const given = incoming.json !== undefined ? incoming.json : incoming.method === 'GET' ? incoming.query : {};
  const body = isObject(given) ? given : { input: given };
  return { ...defaults, ...body };
}

/**
 * The sha-256 of the key's value in this delivery (JSON-encoded, so `1` and `"1"` differ), or a
 * ValidationError naming the key when the delivery does not carry it.
 */
export function dedupHash(key: string, input: Readonly<Record<string, unknown>>, incoming: Incoming): string {
  const value = key.startsWith('header:') ? incoming.header(key.slice(7)) : atPath(input, key);
  if (value === undefined || value === null)
    throw new ValidationError(`this webhook deduplicates on ${key}, which the delivery does not carry`, key);
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

function atPath(input: unknown, path: string): unknown {
  let at = input;
  for (const part of path.slice(2).split('.')) {
    if (!isObject(at) || !Object.hasOwn(at, part)) return undefined;
    at = at[part];
  }
  return at;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
