/**
 * Values as Postgres gives them back from a jsonb column, without asking it: JSON text parsed, with
 * every object's keys in jsonb's order (shorter keys first, equal lengths bytewise). An event this
 * process appended can so reach its own readers at once, equal to the row a read would return.
 */

/** `json`: the text that was written to the jsonb column. */
export function asStored(json: string): unknown {
  return sortKeys(JSON.parse(json));
}

/** A uuid in Postgres's output form (lower case, hyphenated); what the uuid column hands back. */
export function canonicalUuid(id: string): string {
  const hex = id.replace(/[{}-]/g, '').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return id;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = sortKeys(v[i]);
    return v;
  }
  if (v === null || typeof v !== 'object') return v;
  const obj = v as Record<string, unknown>;
  const keys = Object.keys(obj);
  const sorted = keys.length > 1 ? [...keys].sort(jsonbKeyOrder) : keys;
  const out: Record<string, unknown> = {};
  for (const k of sorted) {
    if (k === '__proto__')
      Object.defineProperty(out, k, {
        value: sortKeys(obj[k]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else out[k] = sortKeys(obj[k]);
  }
  return out;
}

// eslint-disable-next-line no-control-regex
const ASCII = /^[\x00-\x7f]*$/;

function jsonbKeyOrder(a: string, b: string): number {
  if (ASCII.test(a) && ASCII.test(b)) return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length - y.length || Buffer.compare(x, y);
}
