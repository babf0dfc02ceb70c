/**
 * The render page of a compiled component (reference §5.9), without any remote origin: React and
 * the component runtime are scripts of the platform itself (`/components/assets/…`), the page's
 * configuration is a JSON data block (never executed), and the bundle is the one inline script,
 * admitted by a per-response nonce. The Content-Security-Policy allows nothing else.
 */
import { randomBytes } from 'node:crypto';

/** the scripts the page loads, in order, around the inline bundle */
export const ASSET_BASE = '/components/assets';
export const BEFORE_BUNDLE = ['react.js', 'react-dom.js', 'sinas-runtime.js'] as const;
export const AFTER_BUNDLE = ['sinas-boot.js'] as const;

export interface PageComponent {
  readonly namespace: string;
  readonly name: string;
  readonly version: number;
  readonly title: string | null;
  readonly spec: Readonly<Record<string, unknown>>;
}

export interface RenderedPage {
  readonly html: string;
  readonly csp: string;
}

const BASE_CSS =
  'body{margin:0;font-family:system-ui,sans-serif}.sinas-card{padding:16px;border:1px solid #ddd;border-radius:8px}';

/** `</script` and `<!--` cannot end or confuse the element they are written into */
const inScript = (text: string) => text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderPage(c: PageComponent, bundle: string, input: unknown): RenderedPage {
  const nonce = randomBytes(16).toString('base64');
  const s = c.spec;
  const config = {
    apiBase: '',
    component: { namespace: c.namespace, name: c.name, version: c.version },
    resources: {
      enabledAgents: s.enabled_agents ?? [],
      enabledFunctions: s.enabled_functions ?? [],
      enabledQueries: s.enabled_queries ?? [],
      enabledComponents: s.enabled_components ?? [],
      enabledStores: s.enabled_stores ?? [],
    },
    input,
  };
  const css = BASE_CSS + (typeof s.css_overrides === 'string' ? s.css_overrides : '');
  const script = (file: string) => `<script src="${ASSET_BASE}/${file}"></script>`;
  const html = [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><link rel="icon" href="data:,">',
    `<title>${escapeHtml(c.title ?? `${c.namespace}/${c.name}`)}</title>`,
    `<style nonce="${nonce}">${css.replace(/<\/(style)/gi, '<\\/$1')}</style>`,
    '</head><body><div id="root"></div>',
    `<script type="application/json" id="sinas-config">${JSON.stringify(config).replace(/</g, '\\u003c')}</script>`,
    ...BEFORE_BUNDLE.map(script),
    `<script nonce="${nonce}">${inScript(bundle)}</script>`,
    ...AFTER_BUNDLE.map(script),
    '</body></html>',
  ].join('\n');
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  return { html, csp };
}
