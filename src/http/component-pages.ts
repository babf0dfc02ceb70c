/**
 * The runtime's component pages (reference §5.9): `GET /components/{ns}/{name}/render` (a render
 * token), `GET /components/shared/{token}` (a share link, no sign-in), and the scripts they load,
 * `GET /components/assets/{file}`: React 18's UMD builds from the platform's own node_modules and
 * the component runtime beside this module, so a page works with no internet and the
 * Content-Security-Policy admits no other origin.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';
import { NotFoundError } from '../errors.js';
import type { ComponentPages } from '../runtime/components/component-pages.js';
import type { RenderedPage } from '../runtime/components/render-page.js';
import { queryOf, type RouteRegistry } from './routes.js';

const NAME = { type: 'string', pattern: '^[a-zA-Z][a-zA-Z0-9_-]*$', maxLength: 255 };
const ASSETS = 'src/http/components';

/** src/http/components, beside this module under tsx, found upwards from a build under dist/. */
function assetDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  let dir = here;
  while (!existsSync(path.join(dir, ASSETS, 'sinas-runtime.js')) && path.dirname(dir) !== dir)
    dir = path.dirname(dir);
  return existsSync(path.join(here, 'components', 'sinas-runtime.js'))
    ? path.join(here, 'components')
    : path.join(dir, ASSETS);
}

/** every script a page may load, read once at start */
export function loadComponentAssets(dir = assetDir()): ReadonlyMap<string, string> {
  const fromNpm = createRequire(import.meta.url);
  const read = (file: string) => readFileSync(file, 'utf8');
  // the packages export no UMD path: found beside their package.json
  const npm = (pkg: string, file: string) =>
    read(path.join(path.dirname(fromNpm.resolve(`${pkg}/package.json`)), file));
  return new Map([
    ['react.js', npm('react', 'umd/react.production.min.js')],
    ['react-dom.js', npm('react-dom', 'umd/react-dom.production.min.js')],
    ['sinas-runtime.js', read(path.join(dir, 'sinas-runtime.js'))],
    ['sinas-boot.js', read(path.join(dir, 'sinas-boot.js'))],
  ]);
}

function sendPage(res: Response, page: RenderedPage): void {
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Security-Policy', page.csp);
  res.send(page.html);
}

export function registerComponentPageRoutes(
  registry: RouteRegistry,
  d: { readonly pages: ComponentPages; readonly assets?: ReadonlyMap<string, string> },
): void {
  const assets = d.assets ?? loadComponentAssets();
  const tags = ['Components'];
  registry.add({
    method: 'get',
    path: '/components/assets/:file',
    public: true,
    summary: 'A script of the component pages: React 18 and the component runtime, served by the platform',
    tags,
    params: { file: { type: 'string', enum: [...assets.keys()] } },
    responses: { 200: { type: 'string' } },
    produces: 'text/javascript',
    handler: (req, res) => {
      const body = assets.get(String(req.params.file));
      if (body === undefined) throw new NotFoundError('no such asset', 'file');
      res.setHeader('Content-Type', 'text/javascript; charset=utf-8');
      res.setHeader('Cache-Control', 'public, max-age=3600');
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.send(body);
    },
  });
  registry.add({
    method: 'get',
    path: '/components/shared/:token',
    public: true,
    summary:
      'Open a component by a share link (no sign-in): counts a view; 410 once it expired or reached max_views',
    tags,
    params: { token: { type: 'string', minLength: 1, maxLength: 200 } },
    responses: { 200: { type: 'string' } },
    produces: 'text/html',
    handler: async (req, res) => sendPage(res, await d.pages.shared(String(req.params.token))),
  });
  registry.add({
    method: 'get',
    path: '/components/:namespace/:name/render',
    public: true,
    summary:
      "A compiled component's page: ?token=<render_token>&input=<URL-encoded JSON, checked against its input_schema>",
    tags,
    params: { namespace: NAME, name: NAME },
    query: {
      token: { type: 'string', maxLength: 4096 },
      input: { type: 'string', maxLength: 100_000 },
    },
    responses: { 200: { type: 'string' } },
    produces: 'text/html',
    handler: async (req, res) => {
      const { namespace, name } = req.params as { namespace: string; name: string };
      const q = queryOf(req) as { token?: string; input?: string };
      sendPage(res, await d.pages.render(namespace, name, q.token, q.input));
    },
  });
}
