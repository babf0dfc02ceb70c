/**
 * Bad input for one OpenAPI operation: the cases the fuzzer (test/e2e/fuzz-openapi.test.ts) sends.
 * Pure and deterministic: the same document, targets and seed give the same cases in the same order.
 * Each case changes one thing of a (mostly) valid request, so it reaches as far into the handler as
 * that one thing lets it.
 */
import { fieldsOf, isObject, sample, typesOf, type Operation, type Schema } from './fuzz-schemas.js';

export interface FuzzCase {
  readonly label: string;
  readonly method: string;
  /** path and query, encoded */
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

/** What the fuzzer knows of the world: a real value for a path parameter, a valid-ish body's overrides. */
export interface Targets {
  param(path: string, name: string): string;
  bodyOverrides(method: string, path: string): Record<string, unknown> | undefined;
}

/** A small seeded generator (mulberry32): the fuzzer's choices repeat run after run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const DEPTH = 10_000;
const HUGE = 300_000;
const NUL = 'a\u0000b';
const LONE = 'x\ud800y';
/** JSON text that JSON.stringify cannot write: spliced in where a placeholder string stands */
const RAW = ['1e400', '-1e400', '9007199254740993', '1e20', '-1e20', '123456789012345678901234567890'];
/** the largest safe integer, and one past what a 32-bit column holds */
const BIG = [Number.MAX_SAFE_INTEGER, 2 ** 31];
const rawMark = (t: string) => `@@raw:${t}@@`;
const NUMBERS: readonly unknown[] = [-1, 1.5, -0.5, 'NaN', 'Infinity', ...BIG, ...RAW.map(rawMark)];
const QUERY_NUMBERS = [
  ...['1e20', '-1', '1.5', 'NaN', 'Infinity', '1e400', '9007199254740993', '0x10', ' ', ''],
  ...BIG.map(String),
];
const DATES = [
  '2024-12-31T23:59:60Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z',
  '2024-02-30T00:00:00Z',
];
const TYPES: Record<string, unknown> = {
  number: 7,
  string: 'x',
  boolean: true,
  array: [],
  object: {},
  null: null,
};

/** Every case for `op`. */
export function casesOf(op: Operation, targets: Targets, random: () => number): FuzzCase[] {
  const pathValues = Object.fromEntries(op.pathParams.map((p) => [p.name, targets.param(op.path, p.name)]));
  const base = op.body ? sample(op.body, targets.bodyOverrides(op.method, op.path)) : undefined;
  const make = (
    label: string,
    o: { path?: Record<string, string>; query?: string; body?: string; headers?: Record<string, string> },
  ): FuzzCase => {
    const values = { ...pathValues, ...o.path };
    const url = op.path.replace(/\{(\w+)\}/g, (_, n: string) => values[n] ?? 'x') + (o.query ?? '');
    const body = o.body ?? (base !== undefined ? serialise(base) : undefined);
    return {
      label: `${op.method} ${op.path} ${label}`,
      method: op.method,
      url,
      headers: {
        ...(body !== undefined && !o.headers?.['content-type'] ? { 'content-type': 'application/json' } : {}),
        ...o.headers,
      },
      ...(body !== undefined ? { body } : {}),
    };
  };
  return [
    ...pathCases(op, make),
    ...queryCases(op, make),
    ...(base !== undefined ? bodyCases(op.body!, base, make, random) : []),
    ...(op.yaml ? yamlCases(make) : []),
    ...headerCases(op, make),
  ];
}

type Make = (
  label: string,
  o: { path?: Record<string, string>; query?: string; body?: string; headers?: Record<string, string> },
) => FuzzCase;

function pathCases(op: Operation, make: Make): FuzzCase[] {
  const values: [string, string][] = [
    ['NUL', '%00'],
    ['lone surrogate', '%ED%A0%80'],
    ['bad percent', '%E0%A4%A'],
    ['huge', 'a'.repeat(5000)],
    ['1e20', '1e20'],
    ['-1', '-1'],
    ['dots', '..'],
  ];
  return op.pathParams.flatMap((p) =>
    values.map(([what, v]) => make(`path ${p.name}=${what}`, { path: { [p.name]: v } })),
  );
}

function queryCases(op: Operation, make: Make): FuzzCase[] {
  const out: FuzzCase[] = [];
  const q = (name: string, v: string) => `?${encodeURIComponent(name)}=${v}`;
  for (const p of op.query) {
    const types = typesOf(p.schema);
    const values: [string, string][] = [
      ['NUL', '%00x'],
      ['lone surrogate', '%ED%A0%80'],
      ['huge', 'a'.repeat(10_000)],
      ['twice', `1&${encodeURIComponent(p.name)}=2`],
    ];
    if (types.has('integer') || types.has('number'))
      values.push(...QUERY_NUMBERS.map((n): [string, string] => [n || 'empty', encodeURIComponent(n)]));
    if (types.has('boolean')) values.push(['maybe', 'maybe'], ['1', '1']);
    if (p.schema.format === 'date-time')
      values.push(...DATES.map((d): [string, string] => [d, encodeURIComponent(d)]));
    if (p.schema.pattern !== undefined)
      values.push(
        ['19 nines', '9'.repeat(19)],
        ['20 digits', '1'.repeat(20)],
        ['1.99', '1.99999999999999999'],
      );
    for (const [what, v] of values) out.push(make(`query ${p.name}=${what}`, { query: q(p.name, v) }));
  }
  if (op.method === 'GET') out.push(make('query unknown', { query: '?zz%00=1' }));
  return out;
}

function bodyCases(schema: Schema, base: unknown, make: Make, random: () => number): FuzzCase[] {
  const deep = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
  const deepObject = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);
  const out: FuzzCase[] = [
    make(`body nested ${DEPTH} deep (arrays)`, { body: deep }),
    make(`body nested ${DEPTH} deep (objects)`, { body: deepObject }),
    make('body {}', { body: '{}' }),
    make('body []', { body: '[]' }),
    make('body "x"', { body: '"x"' }),
    make('body null', { body: 'null' }),
    make('body broken', { body: '{"a":' }),
    make('body as text/plain', { body: '{}', headers: { 'content-type': 'text/plain' } }),
    make('body key with NUL', { body: serialise(withKey(base, NUL)) }),
    make('body key lone surrogate', { body: serialise(withKey(base, LONE)) }),
  ];
  for (const field of fieldsOf(schema, base)) {
    const label = (what: string) => `body ${field.path.join('.')}=${what}`;
    const put = (v: unknown) => serialise(setAt(base, field.path, v));
    out.push(make(label(`nested ${DEPTH} deep`), { body: put(rawMark(deep)) }));
    if (field.required)
      out.push(make(label('missing'), { body: serialise(setAt(base, field.path, MISSING)) }));
    const types = typesOf(field.schema);
    for (const [t, v] of Object.entries(TYPES))
      if (!types.has(t) && !(t === 'number' && types.has('integer')))
        out.push(make(label(`a ${t}`), { body: put(v) }));
    if (types.has('integer') || types.has('number'))
      for (const n of NUMBERS)
        out.push(make(label(String(n).replace(/^@@raw:(.*)@@$/, '$1')), { body: put(n) }));
    if (types.has('string')) {
      out.push(make(label('NUL'), { body: put(NUL) }));
      out.push(make(label('lone surrogate'), { body: put(LONE) }));
      out.push(make(label(`"a"×${HUGE}`), { body: put('a'.repeat(HUGE)) }));
      if (field.schema.format === 'date-time')
        for (const d of DATES) out.push(make(label(d), { body: put(d) }));
      // one of a few strings that look like something else, picked by the seed
      const odd = ['false', '1e20', '-1', '', ' ', '%00', '\\u0000'][Math.floor(random() * 7)]!;
      out.push(make(label(JSON.stringify(odd)), { body: put(odd) }));
    }
    if (types.has('boolean')) out.push(make(label('"false"'), { body: put('false') }));
  }
  return out;
}

function yamlCases(make: Make): FuzzCase[] {
  const yaml = { 'content-type': 'application/yaml' };
  const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    .concat(
      'bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`),
    )
    .join('\n');
  const many =
    Array.from({ length: 400 }, (_, i) => `k${i}: &k${i} [1]`).join('\n') +
    '\nall: [' +
    Array.from({ length: 400 }, (_, i) => `*k${i}`).join(',') +
    ']\n';
  return [
    make('yaml alias bomb', { body: bomb, headers: yaml }),
    make('yaml alias bomb as JSON config', { body: JSON.stringify({ config: bomb }) }),
    make('yaml 400 aliases', { body: many, headers: yaml }),
    make(`yaml nested ${DEPTH} deep`, {
      body: `a: ${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}\n`,
      headers: yaml,
    }),
    make(`yaml nested ${DEPTH} deep (blocks)`, {
      body: Array.from({ length: 2000 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n',
      headers: yaml,
    }),
    make('yaml NUL escape', { body: 'apiVersion: "a\\0b"\n', headers: yaml }),
    make('yaml lone surrogate escape', { body: 'apiVersion: "\\ud800"\n', headers: yaml }),
    make('yaml huge', { body: `a: "${'x'.repeat(2_000_000)}"\n`, headers: yaml }),
    make('yaml big', { body: `a: "${'x'.repeat(900_000)}"\n`, headers: yaml }),
    make('yaml not yaml', { body: ': : :\n\t- [', headers: yaml }),
  ];
}

function headerCases(op: Operation, make: Make): FuzzCase[] {
  const out: FuzzCase[] = [];
  if (op.method !== 'GET') {
    for (const [what, v] of [
      ['long', 'k'.repeat(300)],
      ['empty', ''],
      ['latin1', 'cl\u00e9'],
    ] as const)
      out.push(make(`Idempotency-Key ${what}`, { headers: { 'idempotency-key': v } }));
  }
  if (op.method === 'PUT' || op.method === 'PATCH' || op.method === 'DELETE') {
    for (const v of ['"1e20"', '"18446744073709551616"', '"-1"', 'W/"99999999999999999999"'])
      out.push(make(`If-Match ${v}`, { headers: { 'if-match': v } }));
  }
  if (op.method === 'GET') {
    for (const v of [
      '1e20',
      '-1',
      '99999999999999999999999',
      '1.99999999999999999999',
      'x'.repeat(5000),
      '0.-1',
    ])
      out.push(make(`Last-Event-ID ${v.slice(0, 30)}`, { headers: { 'last-event-id': v } }));
  }
  return out;
}

const MISSING = Symbol('missing');

function setAt(base: unknown, path: readonly string[], v: unknown): unknown {
  const root = structuredClone(base) as Record<string, unknown>;
  let at = root;
  for (const k of path.slice(0, -1)) {
    if (!isObject(at[k]) && !Array.isArray(at[k])) at[k] = {};
    at = at[k] as Record<string, unknown>;
  }
  const last = path[path.length - 1]!;
  if (v === MISSING) delete at[last];
  else at[last] = v;
  return root;
}

function withKey(base: unknown, key: string): unknown {
  return isObject(base) ? { ...base, [key]: 1 } : { [key]: 1 };
}

/** JSON text, with every placeholder of RAW text spliced in as it is. */
function serialise(v: unknown): string {
  return JSON.stringify(v).replace(/"@@raw:([^@]*)@@"/g, (_, t: string) => t);
}

/** A case's input, short enough for a failure message. */
export function describeCase(c: FuzzCase): string {
  const body = c.body === undefined ? '' : ` body(${c.body.length})=${c.body.slice(0, 120)}`;
  return `${c.label} → ${c.method} ${c.url.slice(0, 160)}${body}`;
}
