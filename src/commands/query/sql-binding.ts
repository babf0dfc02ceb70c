/**
 * A saved query's `:name` placeholders as positional parameters (reference §5.4): each `:name`
 * becomes `$1..$n` in order of first appearance, a repeat reuses its number, and the values go to
 * the driver, never into the text. Unlike the original's regular expression, the SQL is scanned
 * as Postgres lexes it, so a `:word` inside a string literal (plain, `E'…'` or dollar-quoted), a
 * quoted identifier or a comment is left alone, and so is a `::cast`. SQL that already uses `$n`
 * parameters, or leaves a string, identifier or comment open, is refused naming `sql`.
 */
import { ValidationError } from '../../errors.js';

export interface BoundSql {
  /** the SQL with `$1..$n` in place of the placeholders */
  readonly text: string;
  /** the placeholder names, `names[i]` being `$i+1` */
  readonly names: readonly string[];
}

const NAME_START = /[A-Za-z_]/;
const NAME_PART = /[A-Za-z0-9_]/;
/** a dollar-quote opener: `$$` or `$tag$` (a tag does not start with a digit) */
const DOLLAR_QUOTE = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/;

/** Binds `sql`'s placeholders; throws a ValidationError naming `field` for SQL it cannot bind. */
export function bindSql(sql: string, field = 'sql'): BoundSql {
  const names: string[] = [];
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const skip = skipLiteral(sql, i, field);
    if (skip > i) {
      out += sql.slice(i, skip);
      i = skip;
      continue;
    }
    const c = sql[i]!;
    if (c === ':' && sql[i + 1] === ':') {
      out += '::';
      i += 2;
      continue;
    }
    if (c === ':' && NAME_START.test(sql[i + 1] ?? '')) {
      let end = i + 2;
      while (end < sql.length && NAME_PART.test(sql[end]!)) end++;
      const name = sql.slice(i + 1, end);
      let index = names.indexOf(name);
      if (index < 0) index = names.push(name) - 1;
      out += `$${index + 1}`;
      i = end;
      continue;
    }
    if (c === '$' && /[0-9]/.test(sql[i + 1] ?? '') && !NAME_PART.test(sql[i - 1] ?? ''))
      throw new ValidationError(
        `${field}: positional parameters ($${sql[i + 1]}…) are not supported; name them (:name)`,
        field,
      );
    out += c;
    i++;
  }
  return { text: out, names };
}

/** The values for a bound SQL's parameters: each name's input value, a missing one NULL. */
export function parameterValues(bound: BoundSql, input: Readonly<Record<string, unknown>>): unknown[] {
  return bound.names.map((n) => (input[n] === undefined ? null : input[n]));
}

/** Where the literal, identifier or comment starting at `i` ends (`i` itself when none starts there). */
function skipLiteral(sql: string, i: number, field: string): number {
  const c = sql[i]!;
  const next = sql[i + 1];
  if (c === '-' && next === '-') {
    const nl = sql.indexOf('\n', i);
    return nl < 0 ? sql.length : nl;
  }
  if (c === '/' && next === '*') return blockCommentEnd(sql, i, field);
  if (c === "'") {
    const escapes = /[eE]/.test(sql[i - 1] ?? '') && !NAME_PART.test(sql[i - 2] ?? '');
    return quotedEnd(sql, i, "'", escapes, field, 'a string literal');
  }
  if (c === '"') return quotedEnd(sql, i, '"', false, field, 'a quoted identifier');
  if (c === '$' && !NAME_PART.test(sql[i - 1] ?? '')) {
    const m = DOLLAR_QUOTE.exec(sql.slice(i));
    if (!m) return i;
    const close = sql.indexOf(m[0], i + m[0].length);
    if (close < 0) throw unterminated(field, 'a dollar-quoted string');
    return close + m[0].length;
  }
  return i;
}

/** The end of a quoted run opened at `i` by `q` (doubled `q` escapes it; a backslash too in `E'…'`). */
function quotedEnd(sql: string, i: number, q: string, escapes: boolean, field: string, what: string): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j]!;
    if (escapes && c === '\\') j += 2;
    else if (c === q && sql[j + 1] === q) j += 2;
    else if (c === q) return j + 1;
    else j++;
  }
  throw unterminated(field, what);
}

/** Block comments nest in Postgres. */
function blockCommentEnd(sql: string, i: number, field: string): number {
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  throw unterminated(field, 'a block comment');
}

const unterminated = (field: string, what: string) =>
  new ValidationError(`${field}: ${what} is not closed`, field);
