/**
 * The API's description and its interactive docs: the OpenAPI document at `/openapi.json` (as
 * the original serves it) and at `/api/openapi.json`, and Swagger UI at `/docs`; the management
 * API's own (its `/api/v1` routes alone, as the original's mounted sub-application) at
 * `/api/v1/openapi.json` and `/api/v1/docs`. The page and
 * every asset it loads come from the platform (the `swagger-ui-dist` package and one initialiser
 * of ours), never from a CDN, so the docs work offline; the Content-Security-Policy admits this
 * origin alone, and the UI's online validator is switched off.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Response } from 'express';
import { openApiDocument } from './openapi.js';
import type { RouteRegistry } from './routes.js';

/** the package's files the page loads, by their media type */
const ASSETS: Readonly<Record<string, string>> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui-standalone-preset.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

/** the page, its initialiser told which document to load (an attribute: the CSP admits no inline script) */
const page = (openApi: string) => `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>Sinas API</title>
    <link rel="stylesheet" type="text/css" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/swagger-ui-standalone-preset.js"></script>
    <script src="/docs/init.js" data-openapi="${openApi}"></script>
  </body>
</html>
`;

const INIT = `var openApi = document.currentScript.getAttribute('data-openapi') || '/openapi.json';
window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: openApi,
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    // some 300 operations: tags start folded (all unfolded, the browser stalls part-way)
    docExpansion: 'none',
    defaultModelsExpandDepth: -1,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: 'StandaloneLayout',
  });
};
`;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // the UI sets style attributes from script
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function registerApiDocs(registry: RouteRegistry, version: string): void {
  const tags = ['Docs'];
  for (const at of ['/openapi.json', '/api/openapi.json'])
    registry.add({
      method: 'get',
      path: at,
      summary: 'This OpenAPI 3.1 document',
      tags,
      public: true,
      responses: { 200: { type: 'object' } },
      handler: (_req, res) => void res.json(openApiDocument(registry, version)),
    });
  registry.add({
    method: 'get',
    path: '/docs',
    summary: 'Interactive API docs (Swagger UI, served by the platform)',
    tags,
    public: true,
    responses: { 200: { type: 'string' } },
    produces: 'text/html',
    handler: (_req, res) => send(res, 'text/html; charset=utf-8', page('/openapi.json'), CSP),
  });
  registerManagementDocs(registry, version);
  registry.add({
    method: 'get',
    path: '/docs/init.js',
    summary: "The docs pages' initialiser: it points Swagger UI at the page's document",
    tags,
    public: true,
    responses: { 200: { type: 'string' } },
    produces: 'text/javascript',
    handler: (_req, res) => send(res, 'text/javascript; charset=utf-8', INIT),
  });
  const files = packageFiles();
  registry.add({
    method: 'get',
    path: '/docs/:asset',
    summary: "The docs page's scripts, styles and icon (from the swagger-ui-dist package)",
    tags,
    public: true,
    params: { asset: { type: 'string', enum: Object.keys(ASSETS) } },
    responses: { 200: { type: 'string' } },
    produces: 'application/octet-stream',
    handler: (req, res) => {
      const asset = (req.params as { asset: string }).asset;
      send(res, ASSETS[asset]!, files(asset));
    },
  });
}

/** `/api/v1/openapi.json` and `/api/v1/docs`: the management API (`/api/v1/...`) on its own. */
function registerManagementDocs(registry: RouteRegistry, version: string): void {
  const tags = ['Docs'];
  registry.add({
    method: 'get',
    path: '/api/v1/openapi.json',
    summary: 'The OpenAPI 3.1 document of the management API (/api/v1) alone',
    tags,
    public: true,
    responses: { 200: { type: 'object' } },
    handler: (_req, res) => void res.json(managementDocument(openApiDocument(registry, version))),
  });
  registry.add({
    method: 'get',
    path: '/api/v1/docs',
    summary: 'Interactive docs of the management API (Swagger UI, served by the platform)',
    tags,
    public: true,
    responses: { 200: { type: 'string' } },
    produces: 'text/html',
    handler: (_req, res) => send(res, 'text/html; charset=utf-8', page('/api/v1/openapi.json'), CSP),
  });
}

function managementDocument(doc: Record<string, unknown>): Record<string, unknown> {
  const paths = doc.paths as Record<string, unknown>;
  return {
    ...doc,
    info: { ...(doc.info as object), title: 'Sinas (TypeScript) management API' },
    paths: Object.fromEntries(Object.entries(paths).filter(([p]) => p.startsWith('/api/v1/'))),
  };
}

/** The package's files, each read once when first asked for (the bundle is over a megabyte). */
function packageFiles(): (name: string) => Buffer {
  const dir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const cache = new Map<string, Buffer>();
  return (name) => {
    let body = cache.get(name);
    if (!body) cache.set(name, (body = readFileSync(path.join(dir, name))));
    return body;
  };
}

function send(res: Response, type: string, body: string | Buffer, csp?: string): void {
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'public, max-age=3600');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (csp) {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Frame-Options', 'DENY');
  }
  res.send(body);
}
