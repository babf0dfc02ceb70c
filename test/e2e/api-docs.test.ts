/**
 * The API's description and docs (issue 17 item 6): the OpenAPI document at `/openapi.json` as well
 * as `/api/openapi.json`, and interactive docs at `/docs` whose page and every asset come from the
 * platform itself (checked over HTTP, and in headless Chromium with every other origin blocked).
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { CHROMIUM, launchChromium } from '../support/chromium.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { skipLoudly } from '../support/skip.js';

describe('API docs', function () {
  this.timeout(120_000);
  let t: TestPlatform;

  before(async () => {
    t = await startTestPlatform();
  });
  after(async () => {
    await t?.stop();
  });

  it('serves the OpenAPI document at /openapi.json and /api/openapi.json, without credentials', async () => {
    const root = await fetch(`${t.url}/openapi.json`);
    expect(root.status).to.equal(200);
    const doc = (await root.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).to.equal('3.1.0');
    expect(doc.paths).to.have.property('/agents/{namespace}/{name}/chats');
    expect(doc.paths).to.have.property('/openapi.json');
    const api = await fetch(`${t.url}/api/openapi.json`);
    expect(await api.json()).to.deep.equal(doc);
  });

  it('serves /docs and every asset it references from the platform, none from elsewhere', async () => {
    const page = await fetch(`${t.url}/docs`);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-type')).to.match(/^text\/html/);
    expect(page.headers.get('content-security-policy')).to.contain("script-src 'self'");
    const html = await page.text();
    expect(html, 'no other origin').not.to.match(/(src|href)=["']?(https?:)?\/\//);
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).to.be.greaterThan(3);
    for (const ref of refs) {
      const r = await fetch(new URL(ref, `${t.url}/docs`));
      expect(r.status, ref).to.equal(200);
      expect((await r.arrayBuffer()).byteLength, ref).to.be.greaterThan(0);
    }
    const init = await (await fetch(`${t.url}/docs/init.js`)).text();
    expect(init).to.contain("getAttribute('data-openapi')").and.to.contain('validatorUrl: null');
    expect(html).to.contain('<script src="/docs/init.js" data-openapi="/openapi.json">');
    // only the package's files are served: not the package's other files, nor anything else
    expect((await fetch(`${t.url}/docs/package.json`)).status).to.equal(400);
    expect((await fetch(`${t.url}/docs/..%2Fpackage.json`)).status).to.equal(400);
  });

  it("serves the management API's own document and docs at /api/v1/openapi.json and /api/v1/docs", async () => {
    const r = await fetch(`${t.url}/api/v1/openapi.json`);
    expect(r.status).to.equal(200);
    const doc = (await r.json()) as { info: { title: string }; paths: Record<string, unknown> };
    expect(doc.info.title).to.contain('management API');
    expect(doc.paths).to.have.property('/api/v1/agents/{namespace}/{name}');
    const outside = Object.keys(doc.paths).filter((p) => !p.startsWith('/api/v1/'));
    expect(outside, 'runtime routes in the management document').to.deep.equal([]);
    const all = (await (await fetch(`${t.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    const management = Object.keys(all.paths).filter((p) => p.startsWith('/api/v1/'));
    expect(Object.keys(doc.paths).sort()).to.deep.equal(management.sort());
    const page = await fetch(`${t.url}/api/v1/docs`);
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-security-policy')).to.contain("script-src 'self'");
    const html = await page.text();
    expect(html).to.contain('<script src="/docs/init.js" data-openapi="/api/v1/openapi.json">');
    for (const ref of [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!))
      expect((await fetch(new URL(ref, `${t.url}/api/v1/docs`))).status, ref).to.equal(200);
  });

  it('renders the operations in a browser that may reach nothing but the platform', async function () {
    if (!existsSync(CHROMIUM)) return skipLoudly(this, 'chromium', `${CHROMIUM} is not installed`);
    const chrome = await launchChromium();
    const { browser } = chrome;
    try {
      const elsewhere: string[] = [];
      const problems: string[] = [];
      await browser.route('**/*', (route) => {
        const url = route.request().url();
        if (url.startsWith(`${t.url}/`)) return route.continue();
        elsewhere.push(url);
        return route.abort();
      });
      const page = await browser.newPage();
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(`${t.url}/docs`);
      // the document loaded and rendered: its title and a section per tag, folded; one unfolds
      await page.locator('.info .title', { hasText: 'Sinas' }).waitFor({ timeout: 60_000 });
      await page.locator('.opblock-tag[data-tag="Agent"]').click();
      await page.locator('.opblock-summary-path[data-path="/agents/default"]').waitFor({ timeout: 60_000 });
      expect(await page.locator('.opblock-tag').count()).to.be.greaterThan(10);
      // the management docs: the same initialiser loads the page's own document
      await page.goto(`${t.url}/api/v1/docs`);
      await page.locator('.info .title', { hasText: 'management API' }).waitFor({ timeout: 60_000 });
      await page.locator('.opblock-tag[data-tag="Agent"]').click();
      await page
        .locator('.opblock-summary-path[data-path="/api/v1/agents"]')
        .first()
        .waitFor({ timeout: 60_000 });
      expect(await page.locator('.opblock-summary-path[data-path="/agents/default"]').count()).to.equal(0);
      expect(elsewhere, 'requests to other origins').to.deep.equal([]);
      expect(problems, 'script errors').to.deep.equal([]);
    } finally {
      await chrome.close();
    }
  });
});
