/**
 * A component's proxy (reference §5.9) to queries and functions: only what its enabled_* lists
 * name, with the caller's own permissions, never the owner's; and, in headless Chromium, a compiled
 * component that calls a proxied query and function through the SDK and shows their results.
 */
import { expect } from 'chai';
import { useChromium } from '../support/chromium.js';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

const PANEL = `import React from 'react';
import { executeQuery, executeFunction } from '@sinas/sdk';
export default function Panel() {
  const [q, setQ] = React.useState('...');
  const [f, setF] = React.useState('...');
  React.useEffect(() => {
    executeQuery('px/answer', {}).then((r) => setQ(String(r.data[0].answer)), (e) => setQ('error: ' + e.message));
    executeFunction('px/double', { n: 21 }).then((r) => setF(String(r.result.doubled)), (e) => setF('error: ' + e.message));
  }, []);
  return <div><span id="q">{q}</span> <span id="f">{f}</span></div>;
}`;
const DOUBLE = 'def handler(input_data, context):\n    return {"doubled": input_data["n"] * 2}\n';

describe('component proxy', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let db: UserDatabase;
  let runner: string;
  let plain: string;

  const must = async (path: string, json: unknown, status = 201) => {
    const r = await t.api(path, { method: 'POST', json });
    if (r.status !== status) throw new Error(`setup: ${path} gave ${r.status}: ${await r.text()}`);
    return r.json();
  };
  const proxy = (key: string | undefined, component: string, rest: string, json: unknown = { input: {} }) =>
    t.api(`/components/${component}/proxy/${rest}`, {
      method: 'POST',
      json,
      ...(key ? { headers: { 'x-api-key': key } } : {}),
    });

  before(async () => {
    t = await startTestPlatform();
    db = await userDatabase();
    const conn = await must('/api/v1/database-connections', {
      name: 'px',
      connection_type: 'postgresql',
      ...db.fields,
    });
    for (const [name, sql] of [
      ['answer', 'SELECT 42 AS answer'],
      ['other', 'SELECT 7 AS answer'],
    ])
      await must('/api/v1/queries', {
        namespace: 'px',
        name,
        database_connection_id: conn.id,
        operation: 'read',
        sql,
      });
    await must('/api/v1/functions', { namespace: 'px', name: 'double', code: DOUBLE });
    await must('/api/v1/components', {
      namespace: 'px',
      name: 'panel',
      source_code: PANEL,
      enabled_queries: ['px/answer'],
      enabled_functions: ['px/double'],
    });
    await must('/api/v1/stores', { namespace: 'px', name: 'notes' });
    await must('/api/v1/stores', { namespace: 'px', name: 'closed' });
    for (const [name, access] of [
      ['memo', 'readwrite'],
      ['viewer', 'readonly'],
    ])
      await must('/api/v1/components', {
        namespace: 'px',
        name,
        source_code: 'export default () => null;',
        enabled_stores: [{ store: 'px/notes', access }],
      });
    // runner may run every query and function in px; plain (Users only) may run neither
    await must('/api/v1/roles', {
      name: 'PanelRunners',
      permissions: { 'sinas.queries/px/*.execute:all': true, 'sinas.functions/px/*.execute:all': true },
    });
    runner = await userKey(t, 'px-runner', ['Users', 'PanelRunners']);
    plain = await userKey(t, 'px-plain');
  });
  after(async () => {
    await t?.stop();
    await db?.drop();
  });

  it('runs an enabled query and function with the caller’s own permissions', async () => {
    const q = await proxy(runner, 'px/panel', 'queries/px/answer/execute');
    expect(q.status, await q.clone().text()).to.equal(200);
    expect(await q.json()).to.deep.include({ success: true, data: [{ answer: 42 }] });
    const f = await proxy(runner, 'px/panel', 'functions/px/double/execute', { input: { n: 4 } });
    expect(f.status, await f.clone().text()).to.equal(200);
    expect(await f.json()).to.deep.include({ status: 'success', result: { doubled: 8 } });
  });

  it('a caller without execute on the target gets 403, though the component’s owner has it', async () => {
    const q = await proxy(plain, 'px/panel', 'queries/px/answer/execute');
    expect(q.status).to.equal(403);
    const f = await proxy(plain, 'px/panel', 'functions/px/double/execute', { input: { n: 1 } });
    expect(f.status).to.equal(403);
    // the owner (the administrator) runs it
    expect((await proxy(undefined, 'px/panel', 'queries/px/answer/execute')).status).to.equal(200);
  });

  it('a target the component does not enable is a 403 naming the list, for everyone; an unknown component a 404', async () => {
    for (const key of [runner, undefined]) {
      const q = await proxy(key, 'px/panel', 'queries/px/other/execute');
      expect(q.status).to.equal(403);
      expect(((await q.json()) as { field: string }).field).to.equal('enabled_queries');
    }
    const f = await proxy(runner, 'px/panel', 'functions/px/other/execute');
    expect(f.status).to.equal(403);
    expect((await proxy(runner, 'px/nothing', 'queries/px/answer/execute')).status).to.equal(404);
    expect(
      (
        await t.api('/components/px/panel/proxy/queries/px/answer/execute', {
          method: 'POST',
          json: {},
          headers: { 'x-api-key': 'bad' },
        })
      ).status,
    ).to.equal(401);
  });

  it('states: the caller’s own states in an enabled store; set and delete only where it is readwrite', async () => {
    const state = (key: string | undefined, component: string, store: string, json: object) =>
      proxy(key, component, `states/${store}`, json);
    const set = await state(plain, 'px/memo', 'px/notes', { action: 'set', key: 'k', value: { n: 1 } });
    expect(set.status, await set.clone().text()).to.equal(200);
    expect(await set.json()).to.deep.equal({ success: true, key: 'k' });
    const got = await state(plain, 'px/viewer', 'px/notes', { action: 'get', key: 'k' });
    expect(await got.json()).to.deep.equal({ found: true, key: 'k', value: { n: 1 } });
    // private states are the caller's own: another user finds none
    const theirs = await state(runner, 'px/memo', 'px/notes', { action: 'get', key: 'k' });
    expect(await theirs.json()).to.deep.equal({ found: false, key: 'k', value: null });
    const listed = await state(plain, 'px/memo', 'px/notes', { action: 'list' });
    expect(await listed.json()).to.deep.equal({ items: [{ key: 'k', value: { n: 1 } }] });
    const readOnly = await state(plain, 'px/viewer', 'px/notes', { action: 'set', key: 'k', value: 2 });
    expect(readOnly.status).to.equal(403);
    expect(((await readOnly.json()) as { field: string }).field).to.equal('enabled_stores');
    const other = await state(plain, 'px/memo', 'px/closed', { action: 'get', key: 'k' });
    expect(other.status).to.equal(403);
    const noKey = await state(plain, 'px/memo', 'px/notes', { action: 'get' });
    expect(noKey.status).to.equal(400);
    expect(((await noKey.json()) as { field: string }).field).to.equal('key');
    const del = await state(plain, 'px/memo', 'px/notes', { action: 'delete', key: 'k' });
    expect(await del.json()).to.deep.equal({ success: true, key: 'k' });
    const gone = await state(plain, 'px/memo', 'px/notes', { action: 'get', key: 'k' });
    expect(await gone.json()).to.deep.include({ found: false });
  });

  describe('in Chromium', () => {
    const browser = useChromium();

    it('a compiled component calls a proxied query and function with the credential in its fragment and shows the results', async () => {
      let c: Record<string, unknown> = {};
      await until('the panel compiled', async () => {
        c = await (await t.api('/api/v1/components/px/panel')).json();
        return c.compile_status !== 'pending';
      });
      expect(c.compile_status, JSON.stringify(c.compile_errors)).to.equal('success');
      const page = await browser().newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(e.message));
      await page.goto(
        `${t.url}/components/px/panel/render?token=${c.render_token as string}#auth=${encodeURIComponent(runner)}`,
      );
      await page.locator('#q', { hasText: '42' }).waitFor({ timeout: 60_000 });
      await page.locator('#f', { hasText: '42' }).waitFor({ timeout: 60_000 });
      expect(problems).to.deep.equal([]);
      // the fragment is gone from the address bar once read
      expect(page.url()).not.to.contain('#auth=');
      await page.close();
    });
  });
});
