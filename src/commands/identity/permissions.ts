/**
 * Permissions (reference §1.3–§1.6): parsing, matching, permission sets, the catalogue, the default roles and
 * the ownership decisions that list and item endpoints take. Pure: no I/O, no clock.
 *
 * Grammar: `<service>.<resource>[/<namespace>/<name>].<action>:<scope>`, split as the reference does — the
 * last `:` gives the scope, then the last `.` the action, then the first `/` splits the dotted base from the
 * path. Matching compares the service and the base together as one list of dotted segments.
 *
 * How the edge cases are read:
 * - `sinas.*:all` splits into service `sinas`, base `[]`, action `*`. Because its action is `*` and its base
 *   (`[sinas]`) is shorter than any `sinas.<resource>…` base, it is a prefix pattern and, being a wildcard,
 *   also passes the path rule: it covers every `sinas.` permission (and `sinas.<action>:<scope>` itself).
 * - A `*` stands alone as a whole segment (`sinas.*.read:own`, a `*` namespace or name); `ag*` is
 *   rejected as malformed rather than silently never matching. A trailing `*` in a held base must match
 *   at least one segment: `sinas.*.read:all` covers `sinas.agents.read:all` and `sinas.a.b.read:all`,
 *   not `sinas.read:all`.
 * - A required scope of `*` is read as `all`: `all` and `*` cover it, `own` does not.
 * - `*` inside a required permission is a literal: only a held `*` (or a prefix pattern) covers it. That
 *   keeps `isSubset` sound for patterns: a held key that covers a requested pattern covers all it covers.
 * - Paths may have any number (≥ 1) of segments; path segments may also hold `:` and `.` (agent names allow
 *   colons). Names the grammar cannot spell (spaces, parentheses) can only be granted through `*`; the
 *   helpers that build required permissions from a namespace and name put `*` in their place, which is
 *   exactly what only a `*` grant covers.
 * - A malformed held key grants nothing (it is skipped, never thrown on: stored roles must not break
 *   authorization); a malformed required or requested permission throws ValidationError.
 * - `false` in a map never denies: it is the same as the key being absent.
 * - Creates check the namespaced key (`requiredForCreate`), fixing the reference's §1.5 quirk.
 * - `listScope`'s last resort collects namespaces from granted keys of any scope, as §1.4 says; so a key
 *   like `sinas.agents/support/x.read:own` lists every agent in `support`, though `canAct` then lets the
 *   caller read only their own there. Kept as the reference has it.
 */
import { ValidationError } from '../../errors.js';
import { PERMISSION_CATALOGUE } from './permission-catalogue.js';

export { PERMISSION_CATALOGUE, DEFAULT_ROLES } from './permission-catalogue.js';
export type { CatalogueEntry, DefaultRoleName } from './permission-catalogue.js';

export type Scope = 'own' | 'all' | '*';

export interface Permission {
  readonly service: string;
  /** Dotted segments after the service: `['agents']` for `sinas.agents.read:own`, `[]` for `sinas.*:all`. */
  readonly base: readonly string[];
  /** `['support', 'helper']` for `sinas.agents/support/helper.chat:all`; null without a path. */
  readonly path: readonly string[] | null;
  readonly action: string;
  readonly scope: Scope;
}

export type PermissionMap = Readonly<Record<string, boolean>>;

export const MAX_PERMISSION_LENGTH = 500;
const GRAMMAR = '<service>.<resource>[/<namespace>/<name>].<action>:<scope>';
const ALLOWED = /^[A-Za-z0-9_*/.:-]*$/;
const WORD = /^[A-Za-z0-9_-]+$/;
const PATH_WORD = /^[A-Za-z0-9_:.-]+$/;

/** Parses one permission string; throws ValidationError naming `field` when it is malformed. */
export function parsePermission(s: string, field = 'permission'): Permission {
  const parsed = analyse(s);
  if (typeof parsed === 'string') throw new ValidationError(`${field}: ${show(s)} ${parsed}`, field);
  return parsed;
}

export function isValidPermission(s: string): boolean {
  return typeof analyse(s) !== 'string';
}

export function formatPermission(p: Permission): string {
  const path = p.path ? `/${p.path.join('/')}` : '';
  return `${[p.service, ...p.base].join('.')}${path}.${p.action}:${p.scope}`;
}

/** Whether the held pattern grants the required permission (§1.3 steps 1–5). */
export function matches(held: string, required: string): boolean {
  const c = parsePermission(required);
  const p = analyse(held);
  return typeof p !== 'string' && covers(p, c);
}

/** Exact key lookup first, then a scan over the `true` grants (§1.3 step 6). */
export function hasPermission(map: PermissionMap, required: string): boolean {
  const c = parsePermission(required);
  if (map[required] === true) return true;
  for (const [key, granted] of Object.entries(map)) {
    if (!granted) continue;
    const p = analyse(key);
    if (typeof p !== 'string' && covers(p, c)) return true;
  }
  return false;
}

/** The permissions of several roles together: a `true` from any map wins; `false` stays only when alone. */
export function unionOf(maps: readonly PermissionMap[]): PermissionMap {
  const out: Record<string, boolean> = {};
  for (const map of maps) {
    for (const [key, granted] of Object.entries(map)) out[key] = out[key] === true || granted;
  }
  return out;
}

/**
 * Whether every `true` permission in `requested` (say an API key's) is covered by `held` (its owner's),
 * and which are not. A malformed requested key throws ValidationError naming `permissions`.
 */
export function isSubset(
  requested: PermissionMap,
  held: PermissionMap,
): { readonly subset: boolean; readonly uncovered: readonly string[] } {
  const uncovered: string[] = [];
  for (const [key, wanted] of Object.entries(requested)) {
    parsePermission(key, 'permissions');
    if (wanted && !hasPermission(held, key)) uncovered.push(key);
  }
  return { subset: uncovered.length === 0, uncovered };
}

function covers(p: Permission, c: Permission): boolean {
  if (!scopeCovers(p.scope, c.scope) || (p.action !== '*' && p.action !== c.action)) return false;
  const pb = [p.service, ...p.base];
  const cb = [c.service, ...c.base];
  const starBase = pb[pb.length - 1] === '*';
  const prefix = starBase || (p.action === '*' && pb.length < cb.length);
  if (!segmentsMatch(pb, prefix ? cb.slice(0, pb.length) : cb)) return false;
  if (!p.path) return !c.path || starBase || p.action === '*';
  return c.path !== null && segmentsMatch(p.path, c.path);
}

/** Same length, position by position, `*` in the pattern matching any segment. */
function segmentsMatch(pattern: readonly string[], target: readonly string[]): boolean {
  return pattern.length === target.length && pattern.every((seg, i) => seg === '*' || seg === target[i]);
}

function scopeCovers(held: Scope, required: Scope): boolean {
  return held === 'own' ? required === 'own' : true;
}

const memo = new Map<string, Permission | string>();
const CACHE_LIMIT = 10_000;

/** The parsed permission, or why it is malformed. Memoized: the same keys are checked on every request. */
function analyse(s: string): Permission | string {
  let result = memo.get(s);
  if (result === undefined) {
    result = analyseUncached(s);
    if (memo.size >= CACHE_LIMIT) memo.clear();
    memo.set(s, result);
  }
  return result;
}

function analyseUncached(s: string): Permission | string {
  if (s.length === 0) return `is empty; expected ${GRAMMAR}`;
  if (s.length > MAX_PERMISSION_LENGTH) return `is longer than ${MAX_PERMISSION_LENGTH} characters`;
  if (/\s/.test(s)) return 'contains whitespace';
  if (!ALLOWED.test(s)) {
    const bad = [...s].find((ch) => !ALLOWED.test(ch));
    return `contains ${JSON.stringify(bad)}; only letters, digits and _ * / . : - are allowed`;
  }
  const colon = s.lastIndexOf(':');
  if (colon < 0) return `has no :<scope>; expected ${GRAMMAR}`;
  const scope = s.slice(colon + 1);
  if (scope !== 'own' && scope !== 'all' && scope !== '*') {
    return `has scope ${JSON.stringify(scope)}; the scope must be own, all or *`;
  }
  const rest = s.slice(0, colon);
  const dot = rest.lastIndexOf('.');
  const action = rest.slice(dot + 1);
  if (dot < 0 || action.includes('/')) return `has no .<action> before the scope; expected ${GRAMMAR}`;
  const actionProblem = segmentProblem(action, WORD, 'action');
  if (actionProblem) return actionProblem;
  return splitResource(rest.slice(0, dot), action, scope);
}

function splitResource(resource: string, action: string, scope: Scope): Permission | string {
  const slash = resource.indexOf('/');
  const dotted = (slash < 0 ? resource : resource.slice(0, slash)).split('.');
  const path = slash < 0 ? null : resource.slice(slash + 1).split('/');
  for (const seg of dotted) {
    const problem = segmentProblem(seg, WORD, '<service>.<resource>');
    if (problem) return problem;
  }
  for (const seg of path ?? []) {
    const problem = segmentProblem(seg, PATH_WORD, '/<namespace>/<name> path');
    if (problem) return problem;
  }
  const [service, ...base] = dotted as [string, ...string[]];
  return Object.freeze({
    service,
    base: Object.freeze(base),
    path: path && Object.freeze(path),
    action,
    scope,
  });
}

function segmentProblem(seg: string, word: RegExp, where: string): string | null {
  if (seg === '*') return null;
  if (seg === '') return `has an empty segment in its ${where}`;
  if (seg.includes('*'))
    return `uses * inside ${JSON.stringify(seg)} in its ${where}; * must be a whole segment`;
  if (!word.test(seg)) return `has an invalid segment ${JSON.stringify(seg)} in its ${where}`;
  return null;
}

function show(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

/**
 * The check for creating `<namespace>/<name>` of a namespaced resource:
 * `sinas.<resource>/<ns>/<name>.create:own`. The reference checks the non-namespaced
 * `sinas.<resource>.create:own` for most creates, which the Users role's namespaced grants (`*` for
 * namespace and name) cannot satisfy (§1.5 quirk), so only Admins could create agents or functions.
 * Checking the namespaced key lets the Users grants work, lets a role be limited to one namespace
 * (`…/support/*.create:own`), and still lets `sinas.*:all` through.
 */
export function requiredForCreate(resource: string, namespace: string, name: string): string {
  const entry = PERMISSION_CATALOGUE.find((e) => e.resource === resource);
  if (!entry?.namespaced) {
    throw new ValidationError(
      `resource: ${JSON.stringify(resource)} is not a namespaced resource`,
      'resource',
    );
  }
  return itemPermission(resource, { namespaced: true, namespace, name }, 'create', 'own');
}

export type ItemRef =
  | { readonly namespaced: true; readonly namespace: string; readonly name: string }
  | { readonly namespaced: false };

export type ActRequest = ItemRef & {
  readonly resource: string;
  readonly action: string;
  /** The item's owner; null when the model has no owner (then `:own` is enough). */
  readonly ownerId: string | null;
  readonly callerId: string;
  /** Only models with a visibility column (components): anything but `private` is open to `:own`. */
  readonly visibility?: string;
};

/**
 * May the caller act on one item (§1.4 "Get/act on one item")? `'all'` when they hold the `:all` key for
 * the item; `'own'` when they hold the `:own` key and own it (or it has no owner, or it is not private);
 * else false.
 */
export function canAct(map: PermissionMap, req: ActRequest): 'all' | 'own' | false {
  if (hasPermission(map, itemPermission(req.resource, req, req.action, 'all'))) return 'all';
  if (!hasPermission(map, itemPermission(req.resource, req, req.action, 'own'))) return false;
  const open = req.visibility !== undefined && req.visibility !== 'private';
  return req.ownerId === null || req.ownerId === req.callerId || open ? 'own' : false;
}

export interface ListRequest {
  readonly resource: string;
  readonly action: string;
  readonly namespaced: boolean;
  readonly callerId: string;
  /** The model has no owner column: `:own` then shows every row. */
  readonly ownerless?: boolean;
}

/** `own`: the rows `ownerId` owns, plus every row in `namespaces`. */
export type ListScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'own'; readonly ownerId: string; readonly namespaces: readonly string[] }
  | { readonly kind: 'none' };

/** Which rows a list shows (§1.4 "List(action)"). */
export function listScope(map: PermissionMap, req: ListRequest): ListScope {
  const { resource, action, namespaced, callerId } = req;
  const every: ItemRef = namespaced ? { namespaced, namespace: '*', name: '*' } : { namespaced };
  if (hasPermission(map, itemPermission(resource, every, action, 'all'))) return { kind: 'all' };
  if (hasPermission(map, itemPermission(resource, every, action, 'own'))) {
    return req.ownerless ? { kind: 'all' } : { kind: 'own', ownerId: callerId, namespaces: [] };
  }
  const namespaces = namespaced ? grantedNamespaces(map, resource, action) : [];
  return namespaces.length ? { kind: 'own', ownerId: callerId, namespaces } : { kind: 'none' };
}

/** Namespaces named (not `*`) by granted `sinas.<resource>/<ns>/….<action or *>` keys, any scope (§1.4). */
function grantedNamespaces(map: PermissionMap, resource: string, action: string): string[] {
  const found = new Set<string>();
  for (const [key, granted] of Object.entries(map)) {
    const p = granted ? analyse(key) : 'not granted';
    if (typeof p === 'string' || !isResource(p, resource)) continue;
    const ns = p.path?.[0];
    if (ns !== undefined && ns !== '*' && (p.action === action || p.action === '*')) found.add(ns);
  }
  return [...found].sort();
}

/** Exactly `sinas.<resource>` (the reference's "keys starting with `base/`"), no wildcard. */
function isResource(p: Permission, resource: string): boolean {
  return p.service === 'sinas' && p.base.length === 1 && p.base[0] === resource;
}

/** `sinas.<resource>[/<ns>/<name>].<action>:<scope>` for one item (unspellable names become `*`). */
export function itemPermission(resource: string, item: ItemRef, action: string, scope: Scope): string {
  const path = item.namespaced
    ? `/${pathSegment(item.namespace, 'namespace')}/${pathSegment(item.name, 'name')}`
    : '';
  return `sinas.${resource}${path}.${action}:${scope}`;
}

/** A namespace or name as a path segment; one the grammar cannot spell becomes `*` (so only `*` grants). */
function pathSegment(value: string, field: string): string {
  if (value === '') throw new ValidationError(`${field}: must not be empty`, field);
  return PATH_WORD.test(value) ? value : '*';
}

/**
 * Whether `map` grants `required` (a path-less `sinas.<resource>.<action>:<scope>`) on at least one
 * item: the key itself, or a namespaced grant of the same resource and action on any path
 * (`sinas.agents/support/bot.chat:all` grants `sinas.agents.chat:own` on some item). A route any
 * signed-in user may call asks this of a narrowed API key; the handler then checks the item.
 */
export function grantsOnSome(map: PermissionMap, required: string): boolean {
  const c = parsePermission(required);
  if (hasPermission(map, required)) return true;
  for (const [key, granted] of Object.entries(map)) {
    const p = granted ? analyse(key) : 'not granted';
    if (typeof p !== 'string' && p.path && covers({ ...p, path: null }, c)) return true;
  }
  return false;
}
