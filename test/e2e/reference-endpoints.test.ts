/**
 * Issue 17's done-when: every endpoint the API reference names is mounted. The mounted routes are
 * read from the running app's express router (what really answers, whether or not the OpenAPI
 * document lists it) and held against test/fixtures/reference-endpoints.ts; each route mounted is
 * also in the OpenAPI document the app serves. A deviation's replacement must be mounted, and an
 * endpoint in KNOWN_MISSING must not be (so the list only shrinks).
 */
import { expect } from 'chai';
import type { Express } from 'express';
import { toOpenApiPath } from '../../src/http/openapi.js';
import {
  KNOWN_MISSING,
  REFERENCE_ENDPOINTS,
  type ReferenceEndpoint,
} from '../fixtures/reference-endpoints.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';

/** `METHOD /path` with every parameter as `{}` and a whole-rest-of-path parameter as `*` */
export function normalise(endpoint: string): string {
  const [method, path = ''] = endpoint.split(' ');
  const p = path
    .replace(/\{[^}]*:path\}/g, '*')
    .replace(/\*[A-Za-z_]+/g, '*')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/:[A-Za-z_]+/g, '{}');
  return `${method!.toUpperCase()} ${p}`;
}

const nameOf = (e: ReferenceEndpoint) => `${e.method} ${e.path}`;

type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: Layer[] } };

/** every `METHOD /express/path` the app's router answers, nested routers included */
function mountedRoutes(app: Express): string[] {
  const walk = (stack: Layer[]): string[] =>
    stack.flatMap((l) =>
      l.route
        ? Object.keys(l.route.methods).map((m) => `${m.toUpperCase()} ${l.route!.path}`)
        : l.handle?.stack
          ? walk(l.handle.stack)
          : [],
    );
  return walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
}

describe('the reference endpoints (issue 17): every one the reference names is mounted', function () {
  let t: TestPlatform;
  /** as express has them */
  let routes: string[];
  /** normalised */
  let mounted: Set<string>;
  before(async () => {
    t = await startTestPlatform();
    routes = mountedRoutes(t.platform.app!);
    mounted = new Set(routes.map(normalise));
  });
  after(async () => t?.stop());

  it('lists each endpoint once, each with its section, a deviation with what is mounted instead', () => {
    const names = REFERENCE_ENDPOINTS.map((e) => normalise(nameOf(e)));
    expect(
      names.filter((n, i) => names.indexOf(n) !== i),
      'listed twice',
    ).to.deep.equal([]);
    for (const e of REFERENCE_ENDPOINTS) {
      expect(e.section, nameOf(e)).to.match(/^§\d+(\.\d+)*$/);
      expect(e.path, nameOf(e)).to.match(/^\//);
      expect(Boolean(e.deviation), `${nameOf(e)}: deviation and instead go together`).to.equal(
        Boolean(e.instead?.length),
      );
    }
    // the original's routers at the reference's commit mount some 220 endpoints
    expect(REFERENCE_ENDPOINTS.length).to.be.greaterThan(190);
  });

  it('mounts every endpoint of the reference, except those in KNOWN_MISSING', () => {
    const known = new Set(KNOWN_MISSING.map((k) => normalise(k.endpoint)));
    const missing = REFERENCE_ENDPOINTS.filter(
      (e) => !e.deviation && !known.has(normalise(nameOf(e))) && !mounted.has(normalise(nameOf(e))),
    ).map((e) => `${nameOf(e)} (${e.section})`);
    expect(missing, `not mounted:\n  ${missing.join('\n  ')}\n`).to.deep.equal([]);
  });

  it('mounts what each deviation names instead', () => {
    const absent = REFERENCE_ENDPOINTS.flatMap((e) =>
      (e.instead ?? [])
        .filter((r) => !mounted.has(normalise(r)))
        .map((r) => `${r} (instead of ${nameOf(e)})`),
    );
    expect(absent, `not mounted:\n  ${absent.join('\n  ')}\n`).to.deep.equal([]);
  });

  it('lists in KNOWN_MISSING only reference endpoints that are still not mounted', () => {
    const listed = new Set(REFERENCE_ENDPOINTS.map((e) => normalise(nameOf(e))));
    for (const k of KNOWN_MISSING) {
      expect(listed.has(normalise(k.endpoint)), `${k.endpoint} is no reference endpoint`).to.equal(true);
      expect(k.reason, k.endpoint).to.have.length.greaterThan(10);
    }
    const nowMounted = KNOWN_MISSING.filter((k) => mounted.has(normalise(k.endpoint))).map((k) => k.endpoint);
    expect(nowMounted, 'mounted now: take them out of KNOWN_MISSING').to.deep.equal([]);
  });

  it('documents every mounted route in the OpenAPI document it serves', async () => {
    const doc = (await (await t.api('/openapi.json')).json()) as { paths: Record<string, object> };
    const undocumented = routes.filter((r) => {
      const [method, path] = r.split(' ') as [string, string];
      return !(doc.paths[toOpenApiPath(path)] as Record<string, unknown> | undefined)?.[method.toLowerCase()];
    });
    expect(undocumented, 'mounted but not in /openapi.json').to.deep.equal([]);
  });
});
