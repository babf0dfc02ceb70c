/**
 * Idempotency-Key on mutating requests: the first response is stored; a retry with the same key and
 * the same request gets it back (`Idempotent-Replayed: true`) and writes nothing. The command id
 * derived from the key also makes the command handler refuse to apply the command twice.
 * A request without a key gets one made for it, unstored: its command id derives from it just the
 * same, so when the answer is a 503 "outcome unknown" (src/http/problem.ts names the key), a retry
 * sending that key returns the first outcome instead of writing twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type pg from 'pg';
import { HttpProblem, type CommandAttempt } from './problem.js';
import { principalOf } from './auth.js';

const STALE_MS = 60_000;
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function commandIdOf(req: Request): string {
  return (req as Request & { commandId?: string }).commandId ?? randomUUID();
}

/** A UUID-shaped id derived from (actor, key), stable across retries. */
function derivedId(actor: string, key: string): string {
  const h = createHash('sha256').update(`${actor}\0${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function idempotency(pool: pg.Pool): RequestHandler {
  const releasing = new Set<string>();
  return (req, res, next) => {
    if (!MUTATING.has(req.method)) return next();
    const key = req.get('idempotency-key');
    if (key === undefined) {
      // a public route (login) runs no command of a principal's
      if ((req as Request & { principal?: unknown }).principal) attempt(req, res, randomUUID());
      return next();
    }
    run(pool, req, res, key, releasing).then(next, next);
  };
}

/** The command this request runs: its id, derived from `key` (see CommandAttempt). */
function attempt(req: Request, res: Response, key: string): void {
  const commandId = derivedId(principalOf(req).userId, key);
  (req as Request & { commandId?: string }).commandId = commandId;
  res.locals.command = { commandId, idempotencyKey: key } satisfies CommandAttempt;
}

/**
 * `key` has the form src/http/input-limits.ts checked before any route ran. `releasing`: keys whose
 * claim may still be held by a request of this process that failed for want of the database (the
 * release could not be written): a retry releases it first, instead of waiting for it to go stale.
 */
async function run(
  pool: pg.Pool,
  req: Request,
  res: Response,
  key: string,
  releasing: Set<string>,
): Promise<void> {
  const actor = principalOf(req).userId;
  const requestHash = createHash('sha256')
    .update(`${req.method} ${req.originalUrl}\n${JSON.stringify(req.body ?? null)}`)
    .digest('hex');
  const held = `${actor}\0${key}`;
  if (releasing.has(held)) {
    await release(pool, actor, key);
    releasing.delete(held);
  }
  const claimed = await pool
    .query(
      `INSERT INTO idempotency_keys (actor, key, request_hash, status) VALUES ($1, $2, $3, 'in_progress')
     ON CONFLICT (actor, key) DO UPDATE SET created_at = now(), request_hash = EXCLUDED.request_hash
       WHERE idempotency_keys.status = 'in_progress' AND idempotency_keys.created_at < now() - $4 * interval '1 millisecond'
     RETURNING key`,
      [actor, key, requestHash, STALE_MS],
    )
    .catch((err: unknown) => {
      releasing.add(held); // the claim may have been stored with its answer lost
      throw err;
    });
  if (claimed.rowCount === 0) {
    const { rows } = await pool.query('SELECT * FROM idempotency_keys WHERE actor = $1 AND key = $2', [
      actor,
      key,
    ]);
    const row = rows[0];
    if (!row)
      throw new HttpProblem({
        title: 'Conflict',
        status: 409,
        detail: 'retry the request',
        field: 'Idempotency-Key',
      });
    if (row.request_hash !== requestHash) {
      throw new HttpProblem({
        title: 'Idempotency-Key reused',
        status: 422,
        detail: 'this key was used for a different request',
        field: 'Idempotency-Key',
      });
    }
    if (row.status === 'in_progress') {
      throw new HttpProblem({
        title: 'Conflict',
        status: 409,
        detail: 'a request with this Idempotency-Key is still in progress',
        field: 'Idempotency-Key',
      });
    }
    for (const [h, v] of Object.entries(row.response_headers ?? {})) res.setHeader(h, v as string);
    res.setHeader('Idempotent-Replayed', 'true');
    res.status(row.response_status);
    if (row.response_body === null) res.end();
    else
      res
        .type(row.response_headers?.['content-type'] ?? 'application/json')
        .send(JSON.stringify(row.response_body));
    throw REPLAYED;
  }
  attempt(req, res, key);
  captureResponse(pool, res, actor, key, () => releasing.add(held));
}

function release(pool: pg.Pool, actor: string, key: string): Promise<unknown> {
  return pool.query(`DELETE FROM idempotency_keys WHERE actor = $1 AND key = $2 AND status = 'in_progress'`, [
    actor,
    key,
  ]);
}

/** Thrown (and swallowed below) to stop the chain after a replay. */
const REPLAYED = Symbol('replayed');

/**
 * Stores the response before it goes out, so an immediate retry already finds it. A 5xx is not
 * stored: the claim is released so a retry runs again (its command id finds the first run's
 * events, if any). `unreleased`: the release failed (the database is gone).
 */
function captureResponse(
  pool: pg.Pool,
  res: Response,
  actor: string,
  key: string,
  unreleased: () => void,
): void {
  const send = res.send.bind(res);
  res.send = ((chunk?: unknown) => {
    const status = res.statusCode;
    const stored =
      status >= 500
        ? release(pool, actor, key).catch((err: unknown) => {
            unreleased();
            throw err;
          })
        : pool
            .query(
              `UPDATE idempotency_keys SET status = 'done', response_status = $3, response_body = $4::jsonb, response_headers = $5
              WHERE actor = $1 AND key = $2`,
              [actor, key, status, parseBody(chunk), pickHeaders(res)],
            )
            .catch((err: unknown) => {
              unreleased(); // left in progress: a retry releases it and finds the command done
              throw err;
            });
    stored.then(
      () => send(chunk as never),
      () => send(chunk as never),
    );
    return res;
  }) as Response['send'];
}

function parseBody(body: unknown): string | null {
  if (body === null || body === undefined || body === '') return null;
  const text = Buffer.isBuffer(body) ? body.toString('utf8') : String(body);
  try {
    JSON.parse(text);
    return text;
  } catch {
    return JSON.stringify(text);
  }
}

function pickHeaders(res: Response): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of ['content-type', 'etag', 'location', 'sinas-position']) {
    const v = res.getHeader(h);
    if (v !== undefined) out[h] = String(v);
  }
  return out;
}

/** Place after `idempotency`: ends the chain quietly when a stored response was replayed. */
export const swallowReplay: import('express').ErrorRequestHandler = (err, _req, _res, next) => {
  if (err === REPLAYED) return;
  next(err);
};
