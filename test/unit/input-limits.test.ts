/** The input limits and the lossless stored form of function output, as pure functions. */
import { expect } from 'chai';
import { checkInput, MAX_DEPTH } from '../../src/commands/input-limits.js';
import { ValidationError } from '../../src/errors.js';
import {
  decodeText,
  decodeValue,
  encodeText,
  encodeValue,
  unstorable,
} from '../../src/events/lossless-text.js';

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
};
const fieldOf = (value: unknown): string | undefined => {
  try {
    checkInput(value);
    return undefined;
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return (err as ValidationError).field;
  }
};

describe('input limits', () => {
  it(`accepts ${MAX_DEPTH} levels of nesting and refuses one more, 100,000 levels without overflowing`, () => {
    expect(fieldOf({ a: nested(MAX_DEPTH - 1) })).to.equal(undefined);
    expect(fieldOf({ a: nested(MAX_DEPTH) })).to.equal('a.0.0.0.0.0.0.0.…');
    expect(fieldOf(JSON.parse('['.repeat(100_000) + ']'.repeat(100_000)))).to.equal('0.0.0.0.0.0.0.0.…');
  });

  it('refuses non-finite numbers and whole numbers beyond 2^53, naming the field', () => {
    expect(fieldOf({ n: Number.MAX_SAFE_INTEGER, f: 1.5, z: -0 })).to.equal(undefined);
    expect(fieldOf({ n: 1e20 })).to.equal('n');
    expect(fieldOf({ list: [1, 2 ** 53] })).to.equal('list.1');
    expect(fieldOf(JSON.parse('{"x":{"y":1e400}}'))).to.equal('x.y');
  });

  it('refuses NUL and lone surrogates in values and keys, naming the field printably', () => {
    expect(fieldOf({ emoji: '\u{1F600}', marker: '\ufdd0' })).to.equal(undefined);
    expect(fieldOf({ a: { b: 'x\u0000y' } })).to.equal('a.b');
    expect(fieldOf({ a: ['\ud800'] })).to.equal('a.0');
    expect(fieldOf({ a: 'x\udc00' })).to.equal('a');
    expect(fieldOf({ 'k\u0000': 1 })).to.equal('k\\u0000');
  });
});

describe('lossless stored text', () => {
  const samples = [
    '',
    'plain',
    'a\u0000b',
    'x\ud800y',
    '\udc00',
    '\ufdd0',
    '\ufdd0~0',
    '\u{1F600}',
    '\ufdd0u0041',
  ];

  it('stores text Postgres can hold, and decodes it back exactly', () => {
    for (const s of samples) {
      expect(unstorable(encodeText(s)), JSON.stringify(s)).to.equal(undefined);
      expect(decodeText(encodeText(s)), JSON.stringify(s)).to.equal(s);
    }
    expect(encodeText('plain \u{1F600}')).to.equal('plain \u{1F600}');
  });

  it('decodes a concatenation of encodings to the concatenation (stdout appended run after run)', () => {
    for (const a of samples)
      for (const b of samples) expect(decodeText(encodeText(a) + encodeText(b))).to.equal(a + b);
  });

  it('encodes every string and key of a JSON value', () => {
    const value = { 'k\u0000': ['a\u0000b', { lone: '\ud800' }], n: 1, t: true, z: null };
    const stored = encodeValue(value);
    expect(JSON.stringify(stored)).not.to.match(/\\u0000|\\ud800/);
    expect(decodeValue(stored)).to.deep.equal(value);
  });
});
