/** The WebAssembly runner's pure parts: Pyodide's modules as scripts, and who makes or uses the snapshot. */
import { expect } from 'chai';
import vm from 'node:vm';
import { moduleAsScript } from '../../src/runtime/functions/runners/wasm/module-script.js';
import { SnapshotKeeper } from '../../src/runtime/functions/runners/wasm/snapshot-keeper.js';

describe('moduleAsScript', () => {
  const evaluate = (source: string) =>
    vm.runInNewContext(moduleAsScript(source, 'file:///p/mod.mjs')) as Promise<Record<string, unknown>>;

  it('turns an export list and a default export into an object of exports, in strict mode', async () => {
    const listed = await evaluate(
      'var a=1;function b(){return this===undefined}export{a as one,b as strict}',
    );
    expect(listed.one).to.equal(1);
    const strict = listed.strict as () => boolean;
    expect(strict()).to.equal(true); // `this` is undefined in a plain call: strict code
    expect((await evaluate('async function f(){}export default f;')).default).to.be.a('function');
  });

  it("keeps the module's names to itself and gives it its own URL for import.meta.url", async () => {
    const context = vm.createContext({});
    const exports = await (vm.runInContext(
      moduleAsScript('var hidden=import.meta.url;export{hidden as url}', 'file:///p/x.mjs'),
      context,
    ) as Promise<Record<string, unknown>>);
    expect(exports.url).to.equal('file:///p/x.mjs');
    expect(vm.runInContext('typeof hidden', context)).to.equal('undefined');
  });

  it('refuses a source it cannot turn into a script: no export, or import.meta beyond the URL', () => {
    expect(() => moduleAsScript('var a = 1;', 'file:///p/a.mjs')).to.throw(/no export statement/);
    expect(() => moduleAsScript('var r=import.meta.resolve;export{r}', 'file:///p/b.mjs')).to.throw(
      /import\.meta beyond its URL/,
    );
  });
});

describe('SnapshotKeeper', () => {
  const bytes = new Uint8Array([1, 2, 3]);

  it('has the first start make the snapshot, the ones meanwhile boot plainly, later ones from it', () => {
    const k = new SnapshotKeeper();
    const maker = k.plan();
    expect(maker).to.deep.equal({ makeSnapshot: true });
    expect(k.plan()).to.deep.equal({});
    k.settle(maker, true, bytes);
    expect(k.plan()).to.deep.equal({ snapshot: bytes });
  });

  it('lets a later start try again when a maker made none, three times at most', () => {
    const k = new SnapshotKeeper();
    for (let i = 0; i < 3; i++) {
      const p = k.plan();
      expect(p).to.deep.equal({ makeSnapshot: true });
      k.settle(p, false, null);
    }
    expect(k.plan()).to.deep.equal({});
  });

  it('drops a snapshot that fails to boot, and loads the long way from then on', () => {
    const k = new SnapshotKeeper();
    k.settle(k.plan(), true, bytes);
    const fromSnapshot = k.plan();
    k.settle(fromSnapshot, false, null);
    expect(k.plan()).to.deep.equal({});
  });
});
