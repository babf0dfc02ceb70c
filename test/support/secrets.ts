/** Helpers for the secrets suites: every stored byte of a database as text, and a log that is kept. */
import type pg from 'pg';
import { pino, type Logger } from 'pino';
import { REDACTED_PATHS } from '../../src/runtime/log.js';

/** Every row of every table in the database, as text (jsonb as JSON, bytea as hex). */
export async function everyTableAsText(pool: pg.Pool): Promise<string> {
  const { rows: tables } = await pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  const parts: string[] = [];
  for (const { table_name } of tables) {
    const { rows } = await pool.query<{ row: string }>(`SELECT t::text AS row FROM "${table_name}" t`);
    parts.push(`== ${table_name}`, ...rows.map((r) => r.row));
  }
  return parts.join('\n');
}

/** The ways a plaintext could sit in storage unencrypted: as is, in base64, in hex. */
export function encodingsOf(plain: string): string[] {
  const b = Buffer.from(plain, 'utf8');
  return [plain, b.toString('base64'), b.toString('base64url'), b.toString('hex')];
}

export function containsAny(haystack: string, plains: readonly string[]): string[] {
  return plains.flatMap((p) => encodingsOf(p)).filter((needle) => haystack.includes(needle));
}

/** A pino logger at `trace` (the most it will ever say) whose lines are kept in `lines`. */
export function capturedLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log = pino(
    { level: 'trace', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } },
    { write: (line: string) => void lines.push(line) },
  );
  return { log, lines };
}
