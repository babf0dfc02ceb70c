/**
 * The limits every input is held to, whatever its route or form (a JSON body, a query string, a path,
 * a YAML document): nested at most MAX_DEPTH deep, numbers finite and, when whole, safe integers
 * (|n| ≤ 2^53 − 1), and text Postgres can store (no NUL, no unpaired surrogate). The walk is
 * iterative, so a value nested 10,000 deep is refused before anything recursive (a schema validator,
 * JSON.stringify, structuredClone) touches it. A failure is a ValidationError naming the field.
 */
import { ValidationError } from '../errors.js';
import { unstorable } from '../events/lossless-text.js';

export const MAX_DEPTH = 64;

interface Node {
  readonly value: unknown;
  readonly key: string | undefined;
  readonly parent: Node | undefined;
  readonly depth: number;
}

/** Throws a ValidationError when `value` breaks a limit; `prefix` names its place (`body` when empty). */
export function checkInput(value: unknown, prefix = '', maxDepth = MAX_DEPTH): void {
  const stack: Node[] = [{ value, key: prefix || undefined, parent: undefined, depth: 0 }];
  while (stack.length > 0) {
    const node = stack.pop()!;
    const v = node.value;
    if (typeof v === 'string') checkString(v, node);
    else if (typeof v === 'number') checkNumber(v, node);
    else if (typeof v === 'object' && v !== null) {
      if (node.depth >= maxDepth) fail(node, `is nested deeper than ${maxDepth} levels`);
      const entries = Array.isArray(v) ? v.entries() : Object.entries(v);
      for (const [k, x] of entries) {
        const child = { value: x, key: String(k), parent: node, depth: node.depth + 1 };
        if (!Array.isArray(v)) checkString(child.key, child, 'is a key that contains');
        stack.push(child);
      }
    }
  }
}

/** The same check for one string, named `field` (a query parameter, a path segment, a header). */
export function checkText(s: string, field: string): void {
  checkString(s, { value: s, key: field, parent: undefined, depth: 0 });
}

function checkString(s: string, node: Node, what = 'contains'): void {
  const why = unstorable(s);
  if (why) fail(node, `${what} ${why}, which cannot be stored`);
}

function checkNumber(n: number, node: Node): void {
  if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n)))
    fail(node, `${String(n)} is out of range (whole numbers must lie within ±${Number.MAX_SAFE_INTEGER})`);
}

function fail(node: Node, message: string): never {
  const field = fieldOf(node);
  throw new ValidationError(`${field}: ${message}`, field);
}

/** The dotted path of a node, its keys made printable; very deep paths keep their first segments. */
function fieldOf(node: Node): string {
  const keys: string[] = [];
  for (let n: Node | undefined = node; n; n = n.parent) if (n.key !== undefined) keys.push(printable(n.key));
  keys.reverse();
  const shown = keys.length > 8 ? [...keys.slice(0, 8), '…'] : keys;
  return shown.join('.') || 'body';
}

function printable(key: string): string {
  const shown = unstorable(key) ? JSON.stringify(key).slice(1, -1) : key;
  return shown.length > 100 ? `${shown.slice(0, 100)}…` : shown;
}
