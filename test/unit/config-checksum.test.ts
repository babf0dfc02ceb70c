/** The declarative config's canonical checksum and `${NAME}` substitution (pure). */
import { expect } from 'chai';
import { canonicalJson, changedFields, checksum } from '../../src/commands/config/checksum.js';
import { substituteEnv } from '../../src/commands/config/env-substitution.js';

describe('config checksum', () => {
  it('ignores key order at every depth, and the order of set-like lists only', () => {
    const a = { b: 1, a: { y: [2, 1], x: null }, refs: ['f/b', 'f/a'] };
    const b = { a: { x: null, y: [2, 1] }, refs: ['f/a', 'f/b'], b: 1 };
    expect(canonicalJson({ b: 1, a: 2 })).to.equal('{"a":2,"b":1}');
    expect(checksum(a, ['refs'])).to.equal(checksum(b, ['refs']));
    expect(checksum(a)).not.to.equal(checksum(b)); // refs not declared a set: order matters
    expect(checksum({ ...a, a: { y: [1, 2], x: null } }, ['refs'])).not.to.equal(checksum(a, ['refs']));
  });

  it('names the fields that differ, treating a missing field as null', () => {
    expect(changedFields({ a: 1, b: null, c: [1, 2] }, { a: 1, c: [2, 1] }, ['c'])).to.deep.equal([]);
    expect(changedFields({ a: 1, b: 'x' }, { a: 2 })).to.deep.equal(['a', 'b']);
  });
});

describe('config ${NAME} substitution', () => {
  it('substitutes set variables, reports missing ones by name, keeps $${ literal', () => {
    const env = { TOKEN: 's3cret', EMPTY: '' };
    expect(substituteEnv('Bearer ${TOKEN}', env)).to.deep.equal({
      value: 'Bearer s3cret',
      missing: [],
      referenced: true,
    });
    expect(substituteEnv('${EMPTY}', env).value).to.equal('');
    const r = substituteEnv('${NOPE}-${TOKEN}', env);
    expect(r.missing).to.deep.equal(['NOPE']);
    expect(substituteEnv('cost $${TOKEN}', env)).to.deep.equal({
      value: 'cost ${TOKEN}',
      missing: [],
      referenced: false,
    });
    expect(substituteEnv('plain', env).referenced).to.equal(false);
  });
});
