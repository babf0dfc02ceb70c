/**
 * Components (reference §5.9): TSX compiled by a worker job (status and errors recorded as events,
 * version bumped by a new source), the render page served with every script from the platform and
 * a strict Content-Security-Policy (render tokens, input checked against input_schema), and share
 * links whose views are counted exactly under concurrent opens.
 */
import { expect } from 'chai';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
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

  before(async () => {
    t = await startTestPlatform();
  });
  after(async () => {
    await t?.stop();
  });

  describe('compile', () => {
    it('a good source compiles to a bundle that exports the component', async () => {
      const made = await create({ namespace: 'ui', name: 'hello', title: 'Hello', source_code: GOOD });
      expect(made).to.include({ namespace: 'ui', name: 'hello', version: 1, compile_status: 'pending' });
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
      expect(after.compile_status).to.equal('pending');
      const second = await built('ui', 'edited');
      expect(second.compile_status).to.equal('success');
      expect(second.compiled_bundle).to.contain('Goodbye, ');
      const titled = await (
        await t.api('/api/v1/components/ui/edited', { method: 'PUT', json: { title: 'New title' } })
      ).json();
      expect(titled).to.include({ compile_status: 'success', version: (second.version as number) + 1 });
    });

    it('POST …/compile compiles again; an unknown component is a 404', async () => {
      await create({ namespace: 'ui', name: 'again', source_code: GOOD });
      await built('ui', 'again');
      const r = await t.api('/api/v1/components/ui/again/compile', { method: 'POST' });
      expect(r.status).to.equal(200);
      expect((await r.json()).compile_status).to.equal('pending');
      expect((await built('ui', 'again')).compile_status).to.equal('success');
      expect((await t.api('/api/v1/components/ui/nope/compile', { method: 'POST' })).status).to.equal(404);
    });
  });
});
