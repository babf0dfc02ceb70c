/**
 * A projection batch as one round trip: its statements, with their parameters written in as escaped
 * literals, between the claim of its checkpoint and the checkpoint's move, all in one simple query
 * (`BEGIN; claim; rows; move; COMMIT`). A literal is sent as text of no declared type, as a bound
 * parameter is, so Postgres types it from where it stands just the same. The claim
 * (sinas_claim_checkpoint, migration 009) raises unless the checkpoint is where the runner left
 * it, which stops the rest of the text: nothing is written on a checkpoint that moved.
 */
import { escapeLiteral } from 'pg';
import { moveCheckpointSql } from './checkpoints.js';

/** One statement of a batch: text with `$1`, `$2`, ... and their values. */
export interface Statement {
  readonly text: string;
  readonly values?: readonly unknown[];
}

/** the SQLSTATE sinas_claim_checkpoint raises when the checkpoint moved */
const MOVED = 'SN001';

/** A value as a literal; objects must arrive as JSON text already, as with a bound parameter. */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'string') return escapeLiteral(v);
  if (typeof v === 'boolean' || typeof v === 'bigint') return `'${String(v)}'`;
  if (typeof v === 'number' && Number.isFinite(v)) return `'${String(v)}'`;
  throw new TypeError(`a batch statement cannot inline ${typeof v} ${String(v)}`);
}

/** Writes the values in for `$n` outside quoted strings and identifiers. */
export function inline(s: Statement): string {
  const values = s.values ?? [];
  return s.text.replace(/'(?:[^']|'')*'|"(?:[^"]|"")*"|\$(\d+)/g, (match, n: string | undefined) => {
    if (n === undefined) return match;
    const i = Number(n) - 1;
    if (i >= values.length) throw new RangeError(`statement has no value for $${n}`);
    return literal(values[i]);
  });
}

/** The whole batch: moves `name`'s checkpoint from `from` to `to` with the statements' rows. */
export function batchSql(name: string, from: bigint, to: bigint, statements: readonly Statement[]): string {
  return [
    'BEGIN',
    'SET LOCAL synchronous_commit TO off',
    `SELECT sinas_claim_checkpoint(${escapeLiteral(name)}, ${from})`,
    ...statements.map(inline),
    moveCheckpointSql(name, to),
    'COMMIT',
  ].join(';\n');
}

/**
 * Where the checkpoint was found when the batch's claim failed because it had moved (0n when its
 * row is gone); undefined for any other error.
 */
export function movedTo(err: unknown): bigint | undefined {
  const e = err as { code?: unknown; detail?: unknown } | undefined;
  if (e?.code !== MOVED) return undefined;
  return typeof e.detail === 'string' && /^\d+$/.test(e.detail) ? BigInt(e.detail) : 0n;
}
