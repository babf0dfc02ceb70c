/**
 * The console (issue 6 item 9): a page a compliance reviewer opens to read one chat's timeline.
 *
 * The page and its script are public, static and the same for every chat: they carry no data. The
 * reviewer's API key (or access token) travels in the URL fragment (`#key=…`), which browsers never
 * send to a server, so it reaches no access log, proxy or Referer; the script reads it, removes it
 * from the address bar and sends it as `X-API-Key` (or `Authorization: Bearer`) when it fetches
 * `/chats/{id}/timeline` — so the timeline's own checks (owner or `sinas.audit.read:all`) decide what
 * the page may show, exactly as for any other client. The script writes text only through DOM text
 * nodes, and the Content-Security-Policy allows no inline script and no other origin besides.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Response } from 'express';
import type { RouteRegistry } from './routes.js';

const ASSETS = 'src/http/console';

/** src/http/console, beside this module under tsx, found upwards from a build under dist/. */
function assetDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  if (existsSync(path.join(here, 'console', 'timeline.js'))) return path.join(here, 'console');
  let dir = here;
  while (!existsSync(path.join(dir, ASSETS, 'timeline.js')) && path.dirname(dir) !== dir)
    dir = path.dirname(dir);
  return path.join(dir, ASSETS);
}

export interface ConsolePage {
  readonly html: string;
  readonly script: string;
  readonly csp: string;
}

/** The page with its stylesheet inlined, its script, and the policy that admits exactly those. */
export function loadConsolePage(dir = assetDir()): ConsolePage {
  const read = (name: string) => readFileSync(path.join(dir, name), 'utf8');
  const css = read('timeline.css');
  // the hash must cover the style element's exact text, so the element is rebuilt around the file
  const html = read('timeline.html').replace(/<style>[\s\S]*?<\/style>/, () => `<style>${css}</style>`);
  const styleHash = createHash('sha256').update(css).digest('base64');
  const csp = [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'sha256-${styleHash}'`,
    "connect-src 'self'",
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
  return { html, script: read('timeline.js'), csp };
}

function send(res: Response, type: string, body: string, csp?: string): void {
  res.setHeader('Content-Type', `${type}; charset=utf-8`);
  res.setHeader('Cache-Control', 'no-cache');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (csp) {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Frame-Options', 'DENY');
  }
  res.send(body);
}

export function registerConsoleRoutes(registry: RouteRegistry, page: ConsolePage = loadConsolePage()): void {
  const tags = ['Console'];
  registry.add({
    method: 'get',
    path: '/console/chats/:chat_id',
    public: true,
    summary:
      "A page that shows a chat's timeline to its owner or an auditor: open it with the key in the fragment, /console/chats/{id}#key=<API key>",
    tags,
    params: { chat_id: { type: 'string', format: 'uuid' } },
    responses: { 200: { type: 'string' } },
    produces: 'text/html',
    handler: (_req, res) => send(res, 'text/html', page.html, page.csp),
  });
  registry.add({
    method: 'get',
    path: '/console/timeline.js',
    public: true,
    summary: "The timeline page's script (it fetches the timeline with the reviewer's key)",
    tags,
    responses: { 200: { type: 'string' } },
    produces: 'text/javascript',
    handler: (_req, res) => send(res, 'text/javascript', page.script),
  });
}
