/**
 * Text Postgres cannot store, and the one reversible encoding that lets event data carry it anyway.
 *
 * Postgres text and jsonb hold no U+0000, and jsonb refuses an unpaired UTF-16 surrogate. Requests
 * carrying either are refused at the edge (src/commands/input-limits.ts); what a function returns or
 * prints is not a request, so it is kept: the worker encodes it before it becomes an event, and the
 * executions API decodes it on the way out.
 *
 * The encoding escapes character by character with U+FDD0, a Unicode noncharacter (reserved for
 * exactly this kind of internal use): U+FDD0 → U+FDD0 '~', U+0000 → U+FDD0 '0', a lone surrogate →
 * U+FDD0 'u' and four hex digits. Text without any of these three is its own encoding, and
 * encode(a) + encode(b) decodes to a + b, so a read model may concatenate encoded stdout run after run.
 */

const ESCAPE = '\ufdd0';
/** a code unit that may need escaping: NUL, any surrogate (paired ones pass), the escape itself */
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000\ud800-\udfff\ufdd0]/;
/** what cannot be stored: NUL, or a surrogate without its partner */
// eslint-disable-next-line no-control-regex
const UNSTORABLE = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why Postgres cannot store `s` (a NUL or a lone surrogate), or undefined when it can. */
export function unstorable(s: string): 'NUL (U+0000)' | 'an unpaired surrogate' | undefined {
  const m = UNSTORABLE.exec(s);
  if (!m) return undefined;
  return m[0] === '\u0000' ? 'NUL (U+0000)' : 'an unpaired surrogate';
}

export function encodeText(s: string): string {
  if (!SUSPECT.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) out += `${ESCAPE}0`;
    else if (c === 0xfdd0) out += `${ESCAPE}~`;
    else if (c >= 0xd800 && c <= 0xdbff && isLow(s.charCodeAt(i + 1))) out += s[i]! + s[++i]!;
    else if (c >= 0xd800 && c <= 0xdfff) out += `${ESCAPE}u${c.toString(16)}`;
    else out += s[i];
  }
  return out;
}

export function decodeText(s: string): string {
  if (!s.includes(ESCAPE)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== ESCAPE) {
      out += s[i];
      continue;
    }
    const tag = s[i + 1];
    if (tag === '0') out += '\u0000';
    else if (tag === '~') out += ESCAPE;
    else if (tag === 'u') {
      out += String.fromCharCode(parseInt(s.slice(i + 2, i + 6), 16));
      i += 4;
    } else {
      out += ESCAPE; // not written by encodeText: left as it is
      continue;
    }
    i += 1;
  }
  return out;
}

/** Every string and key of a JSON value encoded (the value is returned as it is when none needs it). */
export function encodeValue(v: unknown): unknown {
  return map(v, encodeText);
}

export function decodeValue(v: unknown): unknown {
  return map(v, decodeText);
}

function map(v: unknown, f: (s: string) => string): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => map(x, f));
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) define(out, f(k), map(x, f));
  return out;
}

/** `__proto__` as a plain own key, as JSON.parse makes it */
function define(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

function isLow(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
