/**
 * How a saved query's result values become JSON (reference §5.4): uuid and numeric as strings,
 * date and time types as ISO 8601 (the server's text, with `T` and a `±hh:mm` offset, so no
 * microsecond is lost), interval as seconds, bytea as hex, int8 as a number when it is exact (a
 * string beyond 2^53), and arrays of these element by element. Done by pg type parsers given per
 * query, so no value is parsed twice and the platform's own pool keeps its defaults.
 */
import pg from 'pg';

type Parse = (text: string) => unknown;

/** `2024-01-02 03:04:05.123456+00` → `2024-01-02T03:04:05.123456+00:00` */
export function isoTimestamp(text: string): string {
  return isoOffset(text.replace(' ', 'T'));
}

/** `12:00:00+02` → `12:00:00+02:00` */
export function isoOffset(text: string): string {
  return /[+-]\d\d$/.test(text) ? `${text}:00` : text;
}

const UNIT_SECONDS: Readonly<Record<string, number>> = {
  year: 365 * 86_400,
  mon: 30 * 86_400,
  day: 86_400,
};

/**
 * An interval in Postgres' default output style (`1 year 2 mons -3 days +04:05:06.5`) as seconds;
 * a month counts 30 days and a year 365, as Python's drivers count them. Other styles stay text.
 */
export function intervalSeconds(text: string): number | string {
  let seconds = 0;
  let rest = text;
  for (const m of text.matchAll(/(-?\d+) (year|mon|day)s?/g)) {
    seconds += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
    rest = rest.replace(m[0], '');
  }
  const time = /([+-])?(\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(rest);
  if (time) {
    const s = Number(time[2]) * 3600 + Number(time[3]) * 60 + Number(time[4]);
    seconds += time[1] === '-' ? -s : s;
    rest = rest.replace(time[0], '');
  }
  return rest.trim() === '' ? seconds : text;
}

/** bytea's hex output `\x48656c6c6f` → `48656c6c6f` */
const hex: Parse = (text) => (text.startsWith('\\x') ? text.slice(2) : text);

const int8: Parse = (text) => {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
};

const OIDS = pg.types.builtins;
const SCALARS: ReadonlyMap<number, Parse> = new Map<number, Parse>([
  [OIDS.TIMESTAMP, isoTimestamp],
  [OIDS.TIMESTAMPTZ, isoTimestamp],
  [OIDS.TIME, (t) => t],
  [OIDS.TIMETZ, isoOffset],
  [OIDS.DATE, (t) => t],
  [OIDS.INTERVAL, intervalSeconds],
  [OIDS.BYTEA, hex],
  [OIDS.INT8, int8],
  [OIDS.NUMERIC, (t) => t],
  [OIDS.UUID, (t) => t],
]);
/** array type oid → element type oid */
const ARRAYS: ReadonlyMap<number, number> = new Map([
  [1115, OIDS.TIMESTAMP],
  [1185, OIDS.TIMESTAMPTZ],
  [1183, OIDS.TIME],
  [1270, OIDS.TIMETZ],
  [1182, OIDS.DATE],
  [1187, OIDS.INTERVAL],
  [1001, OIDS.BYTEA],
  [1016, OIDS.INT8],
  [1231, OIDS.NUMERIC],
  [2951, OIDS.UUID],
]);

/** pg-types' array parser as it is at run time (its typings describe a plain function) */
const arrays = pg.types.arrayParser as unknown as {
  create(source: string, transform: (v: string | null) => unknown): { parse(): unknown[] };
};
const arrayOf =
  (element: Parse): Parse =>
  (text) =>
    arrays.create(text, (v) => (v === null ? null : element(v))).parse();

/** The `types` a saved query's `client.query` runs with. */
export const RESULT_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary'): Parse {
    const scalar = SCALARS.get(oid);
    if (scalar) return scalar;
    const element = ARRAYS.get(oid);
    if (element !== undefined) return arrayOf(SCALARS.get(element)!);
    return pg.types.getTypeParser(oid, format ?? 'text') as Parse;
  },
};
