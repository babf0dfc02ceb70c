/**
 * The route registry: every route is declared once with its JSON schemas; the same declaration
 * registers the express handler, validates params/query/body (each schema compiled once, at
 * mount, and checked before the handler runs), and feeds the OpenAPI document.
 */
import type { Request, RequestHandler, Response, Router } from 'express';
import { checkInput } from '../commands/input-limits.js';
import type { JSONSchema } from '../commands/validation.js';
import { compile, validate } from '../commands/validation.js';
import { grantsOnSome, parsePermission } from '../commands/identity/permissions.js';
import { ForbiddenError } from '../errors.js';
import { holds, principalOf } from './auth.js';
import { HttpProblem } from './problem.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec {
  readonly method: Method;
  /** express-style path: /api/v1/agents/:namespace/:name */
  readonly path: string;
  readonly summary: string;
  readonly tags?: readonly string[];
  readonly params?: Readonly<Record<string, JSONSchema>>;
  readonly query?: Readonly<Record<string, JSONSchema>>;
  /** the JSON body's schema: checked before the handler runs */
  readonly body?: JSONSchema;
  /** media types the body may also come in as text (YAML), handed to the handler as a string */
  readonly accepts?: readonly string[];
  /** status → response schema (undefined: no body) */
  readonly responses: Readonly<Record<number, JSONSchema | undefined>>;
  /** the media type of its successful responses, when not JSON (a page, a script) */
  readonly produces?: string;
  readonly public?: boolean;
  /** a public route that still authenticates a caller who sends credentials (an inbound webhook) */
  readonly credentials?: 'optional';
  /** how this route's clients expect an error (the OpenAI adapter's `error` member), bad input included */
  readonly mapError?: (err: unknown) => unknown;
  /** Who may call it: every non-public route says, or the process stops at start naming it. */
  readonly access?: Access;
  readonly handler: (req: Request, res: Response) => Promise<void> | void;
}

/**
 * - `permission`: a caller holding one of the permissions computed from the request. Ownership
 *   (`:own` vs `:all`) is checked by handlers.
 * - `signedIn`: any signed-in user (the handler shows them only their own); but a narrowed
 *   credential (an API key with its own permission map) only when its map grants one of these
 *   permissions on some item, the ones the route reads or writes under. `'any credential'` is for
 *   the few routes that answer only about the credential itself.
 */
export type Access =
  | { readonly permission: (req: Request) => string | readonly string[] }
  | { readonly signedIn: readonly [string, ...string[]] | 'any credential' };

export class RouteRegistry {
  readonly routes: RouteSpec[] = [];

  add(spec: RouteSpec): void {
    this.routes.push(spec);
  }

  mount(router: Router, auth: RequestHandler): void {
    for (const r of this.routes) {
      checkAccess(r);
      const chain: RequestHandler[] = [];
      if (!r.public) chain.push(auth);
      else if (r.credentials === 'optional')
        chain.push((req, res, next) => (sendsCredentials(req) ? auth(req, res, next) : next()));
      chain.push(validator(r));
      if (r.access && 'permission' in r.access) chain.push(requirePermission(r.access.permission));
      else if (r.access && r.access.signedIn !== 'any credential')
        chain.push(requireKeyScope(r.access.signedIn));
      chain.push(async (req, res, next) => {
        try {
          await r.handler(req, res);
        } catch (err) {
          next(err);
        }
      });
      router[r.method](r.path, ...chain);
    }
  }
}

const sendsCredentials = (req: Request) =>
  req.get('x-api-key') !== undefined || /^bearer\s/i.test(req.get('authorization') ?? '');

/** Every non-public route declares its access, a `signedIn` one with well-formed permissions. */
function checkAccess(r: RouteSpec): void {
  if (r.public) return;
  const where = `${r.method.toUpperCase()} ${r.path}`;
  const a = r.access as unknown;
  if (typeof a !== 'object' || a === null)
    throw new Error(
      `${where} declares no access: a permission, or signedIn with what a narrowed API key must grant`,
    );
  if (!('signedIn' in a) || a.signedIn === 'any credential') return;
  if (!Array.isArray(a.signedIn) || a.signedIn.length === 0)
    throw new Error(`${where}: signedIn names no permission a narrowed API key must grant`);
  for (const p of a.signedIn as unknown[]) parsePermission(String(p), `${where} signedIn`);
}

/** A narrowed credential's map must grant one of `scope` on some item; other callers pass. */
function requireKeyScope(scope: readonly string[]): RequestHandler {
  return (req, _res, next) => {
    try {
      const p = principalOf(req);
      if (p.narrowed && !p.isAdmin && !scope.some((s) => grantsOnSome(p.permissions, s)))
        throw new ForbiddenError(
          `this API key's permissions grant none of ${scope.join(', ')}, which this route needs`,
        );
      next();
    } catch (err) {
      next(err);
    }
  };
}

function requirePermission(permission: (req: Request) => string | readonly string[]): RequestHandler {
  return (req, _res, next) => {
    try {
      const wanted = permission(req);
      const any = typeof wanted === 'string' ? [wanted] : wanted;
      if (!any.some((p) => holds(req, p)))
        throw new ForbiddenError(`this needs the permission ${any.join(' or ')}`);
      next();
    } catch (err) {
      next(err);
    }
  };
}

function objectSchema(props: Readonly<Record<string, JSONSchema>>, required: string[] = []): JSONSchema {
  return { type: 'object', properties: props, required, additionalProperties: false };
}

function validator(r: RouteSpec): RequestHandler {
  const params = r.params ? objectSchema(r.params, Object.keys(r.params)) : undefined;
  const query = r.query ? objectSchema(r.query) : undefined;
  const takesBody =
    r.body !== undefined && (r.method === 'post' || r.method === 'put' || r.method === 'patch');
  for (const s of [params, query, takesBody ? r.body : undefined]) if (s) compile(s); // once, at mount
  return (req, _res, next) => {
    try {
      const wild = req.params as Record<string, unknown>; // a `*name` parameter: its segments, joined
      for (const [k, v] of Object.entries(wild)) if (Array.isArray(v)) wild[k] = v.join('/');
      for (const [k, v] of Object.entries(req.params)) checkInput(v, k);
      if (params) validate(params, { ...req.params });
      const q = query ? coerceQuery(req.query as Record<string, unknown>, r.query!) : {};
      if (query) validate(query, q);
      (req as Request & { q: Record<string, unknown> }).q = q;
      if (takesBody) checkBody(r, req);
      next();
    } catch (err) {
      next(r.mapError ? r.mapError(err) : err);
    }
  };
}

/** A JSON body valid for the route's schema (defaults filled in), or text in a media type it accepts. */
function checkBody(r: RouteSpec, req: Request): void {
  if (typeof req.body === 'string' && r.accepts?.some((t) => req.is(t))) return;
  if (!req.is('application/json')) {
    throw new HttpProblem({
      title: 'Unsupported media type',
      status: 415,
      detail: `send a JSON body with Content-Type: application/json${r.accepts ? ` (or ${r.accepts.join(', ')})` : ''}`,
      field: 'body',
    });
  }
  validate(r.body!, req.body);
}

/**
 * Query strings are strings: a whole number or a decimal number (as written: no hex, no exponent
 * on integers, nothing beyond ±2^53) becomes a number, `true`/`false` a boolean, before validating;
 * anything else stays a string, which the schema then refuses.
 */
function coerceQuery(
  q: Record<string, unknown>,
  schema: Readonly<Record<string, JSONSchema>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(q)) {
    const t = schema[k]?.type;
    if (typeof v === 'string' && (t === 'integer' || t === 'number') && NUMBER[t].test(v) && safe(Number(v)))
      out[k] = Number(v);
    else if (typeof v === 'string' && t === 'boolean' && (v === 'true' || v === 'false'))
      out[k] = v === 'true';
    else out[k] = v;
  }
  for (const [k, s] of Object.entries(schema))
    if (out[k] === undefined && s.default !== undefined) out[k] = s.default;
  return out;
}

const NUMBER = { integer: /^-?\d{1,16}$/, number: /^-?\d{1,16}(\.\d{1,16})?$/ } as const;
const safe = (n: number) => Number.isFinite(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER;

export function queryOf(req: Request): Record<string, unknown> {
  return (req as Request & { q?: Record<string, unknown> }).q ?? {};
}
