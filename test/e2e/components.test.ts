/**
 * Components (reference §5.9): TSX compiled by a worker job (status and errors recorded as events,
 * version bumped by a new source), the render page served with every script from the platform and
 * a strict Content-Security-Policy (render tokens, input checked against input_schema), and share
 * links whose views are counted exactly under concurrent opens.
 */
import { expect } from 'chai';
import { useChromium } from '../support/chromium.js';
import { componentStreams } from '../../src/events/component-events.js';
import { startTestPlatform, useProvider, type TestPlatform } from '../support/platform.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { until } from '../support/until.js';

const GOOD = `import React from 'react';
export default function Hello(props: { who?: string }) {
  return <p className="hello">Hello, {props.who ?? 'world'}!</p>;
}`;

describe('components', function () {
  this.timeout(120_000);
  let t: TestPlatform;

  const create = async (json: Record<string, unknown>) => {
    const r = await t.api('/api/v1/components', { method: 'POST', json });
    expect(r.status, JSON.stringify(await r.clone().json())).to.equal(201);
    return r.json();
  };
  /** the component once a worker recorded the build of its current source */
  const built = async (ns: string, name: string) => {
    let body: Record<string, unknown> = {};
    await until(`${ns}/${name} compiled`, async () => {
      body = await (await t.api(`/api/v1/components/${ns}/${name}`)).json();
      return body.compile_status !== 'pending';
    });
    return body;
  };

  /** the component once the build of a source containing `text` is recorded */
  const builtWith = async (ns: string, name: string, text: string) => {
    let body: Record<string, unknown> = {};
    await until(`${ns}/${name} compiled with ${text}`, async () => {
      body = await (await t.api(`/api/v1/components/${ns}/${name}`)).json();
      return body.compile_status !== 'pending' && String(body.compiled_bundle).includes(text);
    });
    return body;
  };
  /** the outcomes recorded in a component's build stream */
  const compiles = async (id: string) =>
    (await t.platform.services.eventStore.readStream(`componentbuild-${id}`)).filter(
      (e) => e.type === 'ComponentCompiled',
    ).length;

  before(async () => {
    t = await startTestPlatform();
  });
  after(async () => {
    await t?.stop();
  });

  describe('compile', () => {
    it('a good source compiles to a bundle that exports the component', async () => {
      const made = await create({ namespace: 'ui', name: 'hello', title: 'Hello', source_code: GOOD });
      expect(made).to.include({ namespace: 'ui', name: 'hello', version: 1 });
      expect(made.render_token).to.be.a('string');
      const c = await built('ui', 'hello');
      expect(c.compile_status).to.equal('success');
      expect(c.compile_errors).to.equal(null);
      expect(c.compiled_bundle).to.contain('window.__SinasComponent__').and.to.contain('Hello, ');
      expect(c.compiled_bundle).to.contain('require("react/jsx-runtime")');
    });

    it('a syntax error is recorded as an error with esbuild’s message and line', async () => {
      await create({
        namespace: 'ui',
        name: 'broken',
        source_code: 'export default function () { return 1 +; }',
      });
      const c = await built('ui', 'broken');
      expect(c.compile_status).to.equal('error');
      expect(c.compiled_bundle).to.equal(null);
      const errors = c.compile_errors as { text: string; line: number }[];
      expect(errors).to.have.length.greaterThan(0);
      expect(errors[0]!.line).to.equal(1);
      expect(errors[0]!.text).to.equal('Unexpected ";"');
    });

    it('an import of anything but the modules the page provides is a compile error', async () => {
      await create({
        namespace: 'ui',
        name: 'sneaky',
        source_code: `import x from '/etc/passwd';\nexport default () => x;`,
      });
      const c = await built('ui', 'sneaky');
      expect(c.compile_status).to.equal('error');
      expect(JSON.stringify(c.compile_errors)).to.contain("cannot import '/etc/passwd'");
    });

    it('a new source bumps the version and is pending until compiled again; a title change keeps the build', async () => {
      await create({ namespace: 'ui', name: 'edited', source_code: GOOD });
      const first = await built('ui', 'edited');
      const put = await t.api('/api/v1/components/ui/edited', {
        method: 'PUT',
        json: { source_code: GOOD.replace('Hello, ', 'Goodbye, ') },
      });
      expect(put.status).to.equal(200);
      const after = await put.json();
      expect(after.version).to.equal((first.version as number) + 1);
      // pending until a worker compiled the new source (it may have done so already)
      const second = await builtWith('ui', 'edited', 'Goodbye, ');
      expect(second.compile_status).to.equal('success');
      const titled = await (
        await t.api('/api/v1/components/ui/edited', { method: 'PUT', json: { title: 'New title' } })
      ).json();
      expect(titled).to.include({ compile_status: 'success', version: (second.version as number) + 1 });
    });

    it('POST …/compile compiles again; an unknown component is a 404', async () => {
      await create({ namespace: 'ui', name: 'again', source_code: GOOD });
      const c = await built('ui', 'again');
      expect(await compiles(c.id as string)).to.equal(1);
      const r = await t.api('/api/v1/components/ui/again/compile', { method: 'POST' });
      expect(r.status).to.equal(200);
      await until('a second compile recorded', async () => (await compiles(c.id as string)) === 2);
      expect((await built('ui', 'again')).compile_status).to.equal('success');
      expect((await t.api('/api/v1/components/ui/nope/compile', { method: 'POST' })).status).to.equal(404);
    });
  });

  describe('render', () => {
    const page = (ns: string, name: string, q: Record<string, string>) =>
      fetch(`${t.url}/components/${ns}/${name}/render?${new URLSearchParams(q)}`);
    let token: string;

    before(async () => {
      await create({
        namespace: 'page',
        name: 'greet',
        title: 'Greeting <b>',
        source_code: GOOD,
        input_schema: {
          type: 'object',
          properties: { who: { type: 'string', maxLength: 20 } },
          additionalProperties: false,
        },
      });
      token = (await built('page', 'greet')).render_token as string;
    });

    it('serves the page and every script it loads from the platform, under a CSP with no other origin', async () => {
      const r = await page('page', 'greet', { token, input: JSON.stringify({ who: 'Ada' }) });
      expect(r.status).to.equal(200);
      expect(r.headers.get('content-type')).to.contain('text/html');
      const csp = r.headers.get('content-security-policy')!;
      expect(csp)
        .to.contain("default-src 'none'")
        .and.to.match(/script-src 'self' 'nonce-[^']+'(;|$)/);
      expect(csp).not.to.match(/https?:|\*|unsafe-inline|unsafe-eval/);
      const html = await r.text();
      expect(html).not.to.match(/https?:\/\//);
      expect(html).to.contain('Greeting &#60;b&#62;');
      const config = JSON.parse(
        html.match(/<script type="application\/json" id="sinas-config">(.*?)<\/script>/s)![1]!,
      );
      expect(config).to.deep.include({ apiBase: '', input: { who: 'Ada' } });
      expect(config.component).to.include({ namespace: 'page', name: 'greet' });
      const sources = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
      expect(sources).to.deep.equal([
        '/components/assets/react.js',
        '/components/assets/react-dom.js',
        '/components/assets/sinas-runtime.js',
        '/components/assets/sinas-boot.js',
      ]);
      for (const src of sources) {
        const s = await fetch(`${t.url}${src}`);
        expect(s.status, src).to.equal(200);
        expect(s.headers.get('content-type'), src).to.contain('javascript');
        expect((await s.text()).length, src).to.be.greaterThan(100);
      }
      const react = await (await fetch(`${t.url}/components/assets/react.js`)).text();
      expect(react).to.contain('react.production.min.js');
      // the bundle is the one inline script, admitted by the response's nonce
      const nonce = csp.match(/'nonce-([^']+)'/)![1]!;
      expect(html).to.contain(`<script nonce="${nonce}">`);
      expect(html).to.contain('Hello, ');
    });

    it("refuses a missing or forged token (401), another component's token (403), and bad input (400 naming the field)", async () => {
      expect((await page('page', 'greet', {})).status).to.equal(401);
      expect((await page('page', 'greet', { token: token.slice(0, -2) + 'xx' })).status).to.equal(401);
      expect((await page('page', 'greet', { token: 'not-a-jwt' })).status).to.equal(401);
      await create({ namespace: 'page', name: 'other', source_code: GOOD });
      const other = (await built('page', 'other')).render_token as string;
      expect((await page('page', 'greet', { token: other })).status).to.equal(403);
      const badJson = await page('page', 'greet', { token, input: '{nope' });
      expect(badJson.status).to.equal(400);
      expect(((await badJson.json()) as { field: string }).field).to.equal('input');
      const badField = await page('page', 'greet', { token, input: JSON.stringify({ who: 42 }) });
      expect(badField.status).to.equal(400);
      expect(((await badField.json()) as { field: string }).field).to.equal('input.who');
      const extra = await page('page', 'greet', { token, input: JSON.stringify({ age: 3 }) });
      expect(extra.status).to.equal(400);
    });

    it('a component that did not compile is a 422; a deleted one a 404', async () => {
      await create({ namespace: 'page', name: 'bad', source_code: 'export default () => <div' });
      const bad = await built('page', 'bad');
      expect(bad.compile_status).to.equal('error');
      expect((await page('page', 'bad', { token: bad.render_token as string })).status).to.equal(422);
      await create({ namespace: 'page', name: 'gone', source_code: GOOD });
      const gone = await built('page', 'gone');
      expect((await t.api('/api/v1/components/page/gone', { method: 'DELETE' })).status).to.equal(204);
      expect((await page('page', 'gone', { token: gone.render_token as string })).status).to.equal(404);
    });
  });

  describe('share links', () => {
    const share = async (ns: string, name: string, json: Record<string, unknown>) => {
      const r = await t.api(`/api/v1/components/${ns}/${name}/shares`, { method: 'POST', json });
      expect(r.status, JSON.stringify(await r.clone().json())).to.equal(201);
      return r.json();
    };
    const open = (token: string) => fetch(`${t.url}/components/shared/${token}`);

    before(async () => {
      await create({ namespace: 'share', name: 'greet', source_code: GOOD });
      await built('share', 'greet');
    });

    it('50 concurrent opens of a link with max_views 10 render exactly 10 times; the rest get 410', async () => {
      const link = await share('share', 'greet', { max_views: 10, input_data: { who: 'Bo' }, label: 'ten' });
      expect(link).to.include({ max_views: 10, view_count: 0, label: 'ten' });
      expect(link.share_url).to.equal(`/components/shared/${link.token as string}`);
      const answers = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const r = await open(link.token as string);
          return { status: r.status, body: await r.text() };
        }),
      );
      const rendered = answers.filter((a) => a.status === 200);
      expect(rendered).to.have.length(10);
      for (const a of rendered) expect(a.body).to.contain('"input":{"who":"Bo"}');
      const refused = answers.filter((a) => a.status === 410);
      expect(refused).to.have.length(40);
      expect(JSON.parse(refused[0]!.body).detail).to.equal('Share link has reached maximum views');
      const listed = (await (await t.api('/api/v1/components/share/greet/shares')).json()) as {
        token: string;
        view_count: number;
      }[];
      expect(listed.find((l) => l.token === link.token)!.view_count).to.equal(10);
      const views = await t.platform.services.eventStore.readStream(
        componentStreams.share(link.token as string),
      );
      expect(views.filter((e) => e.type === 'ComponentShareViewed')).to.have.length(10);
    });

    it('an expired link is a 410, a revoked or unknown one a 404; a link without limits opens every time', async () => {
      const expired = await share('share', 'greet', { expires_at: '2020-01-01T00:00:00Z' });
      const r = await open(expired.token as string);
      expect(r.status).to.equal(410);
      expect(((await r.json()) as { detail: string }).detail).to.equal('Share link has expired');
      const open3 = await share('share', 'greet', {});
      for (let i = 0; i < 3; i++) expect((await open(open3.token as string)).status).to.equal(200);
      const del = await t.api(`/api/v1/components/share/greet/shares/${open3.token as string}`, {
        method: 'DELETE',
      });
      expect(del.status).to.equal(204);
      expect((await open(open3.token as string)).status).to.equal(404);
      const listed = (await (await t.api('/api/v1/components/share/greet/shares')).json()) as {
        token: string;
      }[];
      expect(listed.map((l) => l.token)).not.to.include(open3.token);
      expect((await open('no-such-token')).status).to.equal(404);
      const again = await t.api(`/api/v1/components/share/greet/shares/${open3.token as string}`, {
        method: 'DELETE',
      });
      expect(again.status).to.equal(404);
    });

    it('a link to a component that does not compile is a 422 and counts no view', async () => {
      await create({ namespace: 'share', name: 'bad', source_code: 'export default () => <div' });
      await built('share', 'bad');
      const link = await share('share', 'bad', { max_views: 1 });
      expect((await open(link.token as string)).status).to.equal(422);
      const listed = (await (await t.api('/api/v1/components/share/bad/shares')).json()) as {
        view_count: number;
      }[];
      expect(listed[0]!.view_count).to.equal(0);
    });

    it('share bodies are checked: 400 naming the field', async () => {
      const r = await t.api('/api/v1/components/share/greet/shares', {
        method: 'POST',
        json: { max_views: 0 },
      });
      expect(r.status).to.equal(400);
      expect(JSON.stringify(await r.json())).to.contain('max_views');
    });
  });

  describe('as an agent tool', () => {
    let llm: ScriptedLlm;
    before(async () => {
      llm = await startScriptedLlm();
      await useProvider(t, llm.url);
      await create({
        namespace: 'chat-ui',
        name: 'my_card',
        title: 'My card',
        description: 'Shows a card',
        source_code: GOOD,
        input_schema: { type: 'object', properties: { who: { type: 'string' } }, required: ['who'] },
      });
      await built('chat-ui', 'my_card');
      const agent = await t.api('/api/v1/agents', {
        method: 'POST',
        json: { namespace: 'ct', name: 'shower', enabled_components: ['chat-ui/my_card', 'chat-ui/missing'] },
      });
      expect(agent.status, JSON.stringify(await agent.clone().json())).to.equal(201);
    });
    after(async () => {
      await llm?.stop();
    });
    beforeEach(() => llm.reset());

    it('show_component_… (a name with an underscore) answers the component block, whose token renders it', async () => {
      llm.script([
        {
          toolCalls: [{ id: 'call_card', name: 'show_component_chat_ui_my_card', arguments: { who: 'Ada' } }],
        },
        { text: 'here it is' },
      ]);
      const chat = await (await t.api('/agents/ct/shower/chats', { method: 'POST', json: {} })).json();
      const reply = await t.api(`/chats/${chat.id as string}/messages`, {
        method: 'POST',
        json: { content: 'show' },
      });
      expect(reply.status).to.equal(200);
      const tools = (llm.requests[0]!.tools as { function: { name: string; parameters: unknown } }[]).map(
        (x) => x.function,
      );
      const offered = tools.filter((f) => f.name.startsWith('show_component_'));
      expect(offered.map((f) => f.name)).to.deep.equal(['show_component_chat_ui_my_card']);
      expect(offered[0]!.parameters).to.deep.include({ required: ['who'] });
      const toolMessage = (
        llm.requests[1]!.messages as { role: string; tool_call_id?: string; content: string }[]
      ).find((m) => m.tool_call_id === 'call_card')!;
      const block = JSON.parse(toolMessage.content) as Record<string, unknown>;
      expect(block).to.deep.include({
        type: 'component',
        namespace: 'chat-ui',
        name: 'my_card',
        title: 'My card',
        input: { who: 'Ada' },
        compile_status: 'success',
        display: "[USER WILL SEE COMPONENT 'My card' HERE]",
      });
      const render = await fetch(
        `${t.url}/components/chat-ui/my_card/render?token=${block.render_token as string}&input=${encodeURIComponent('{"who":"Ada"}')}`,
      );
      expect(render.status).to.equal(200);
      // read back, the block is the tool message's content (its token renewed only when due)
      const body = await (await t.api(`/chats/${chat.id as string}`)).json();
      const stored = (body.messages as { role: string; content: string }[]).find((m) => m.role === 'tool')!;
      expect(JSON.parse(stored.content)).to.deep.include({
        type: 'component',
        render_token: block.render_token,
      });
    });

    it('a call with arguments that do not fit the input_schema answers an error to the model', async () => {
      llm.script([
        { toolCalls: [{ id: 'call_bad', name: 'show_component_chat_ui_my_card', arguments: { who: 42 } }] },
        { text: 'oops' },
      ]);
      const chat = await (await t.api('/agents/ct/shower/chats', { method: 'POST', json: {} })).json();
      await t.api(`/chats/${chat.id as string}/messages`, { method: 'POST', json: { content: 'show' } });
      const toolMessage = (llm.requests[1]!.messages as { tool_call_id?: string; content: string }[]).find(
        (m) => m.tool_call_id === 'call_bad',
      )!;
      expect(toolMessage.content).to.contain('who');
      expect(toolMessage.content).not.to.contain('render_token');
    });
  });

  describe('config', () => {
    const apply = (yaml: string) =>
      t.api('/api/v1/config/apply', {
        method: 'POST',
        headers: { 'content-type': 'application/yaml' },
        body: yaml,
      });
    const yaml = (functions: string) => `
apiVersion: sinas.co/v1
kind: SinasConfig
metadata: { name: comp-cfg }
spec:
  stores:
    - { namespace: cfg, name: notes }
  components:
    - namespace: cfg
      name: card
      title: Card
      sourceCode: "export default function C() { return null; }"
      inputSchema: { type: object, properties: { who: { type: string } } }
      enabledFunctions: [${functions}]
      enabledStores: [cfg/notes, { store: cfg/other, access: readonly }]
`;

    it('spec.components applies (a store named by a string is readwrite), compiles, and applies again unchanged', async () => {
      const r = await apply(yaml(''));
      const text = await r.text();
      expect(r.status, text).to.equal(200);
      expect(JSON.parse(text).summary.created).to.deep.include({ component: 1 });
      const c = await built('cfg', 'card');
      expect(c).to.deep.include({
        title: 'Card',
        compile_status: 'success',
        enabled_stores: [
          { store: 'cfg/notes', access: 'readwrite' },
          { store: 'cfg/other', access: 'readonly' },
        ],
      });
      const again = await (await apply(yaml(''))).json();
      expect(again.changes.every((x: { action: string }) => x.action === 'unchanged')).to.equal(true);
    });

    it('a function it names that is neither in the config nor on the platform is a 400 at its path', async () => {
      const r = await apply(yaml('nope/missing'));
      expect(r.status).to.equal(400);
      const p = (await r.json()) as { errors: { field: string; message: string }[] };
      const e = p.errors.find((x) => x.field === 'spec.components[0].enabledFunctions[0]');
      expect(e?.message, JSON.stringify(p.errors)).to.match(/no function 'nope\/missing'/);
    });
  });

  describe('in Chromium', () => {
    const browser = useChromium();

    /** opens `url`, recording every request and every error, until the component rendered */
    const open = async (url: string) => {
      const page = await browser().newPage();
      const requests: string[] = [];
      const problems: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(url);
      await page.locator('#root[data-sinas-rendered="true"]').waitFor({ timeout: 30_000 });
      return { page, requests, problems };
    };

    it('renders a compiled component with its input, loading nothing from another origin', async () => {
      await create({ namespace: 'web', name: 'hello', source_code: GOOD });
      const c = await built('web', 'hello');
      const input = encodeURIComponent(JSON.stringify({ who: 'Ada' }));
      const { page, requests, problems } = await open(
        `${t.url}/components/web/hello/render?token=${c.render_token as string}&input=${input}`,
      );
      expect(await page.locator('p.hello').textContent()).to.equal('Hello, Ada!');
      expect(problems).to.deep.equal([]);
      expect(requests.length).to.equal(5);
      for (const u of requests) expect(u.startsWith(`${t.url}/`), u).to.equal(true);
      await page.close();
    });
  });
});
