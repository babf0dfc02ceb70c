/** An inbound webhook delivery's input and dedup key (runtime/inbound-webhooks/webhook-input.ts). */
import { expect } from 'chai';
import { dedupHash, webhookInput, type Incoming } from '../../src/runtime/inbound-webhooks/webhook-input.js';
import { ValidationError } from '../../src/errors.js';

const incoming = (over: Partial<Incoming>): Incoming => ({
  method: 'POST',
  json: undefined,
  query: {},
  header: () => undefined,
  ...over,
});

describe('inbound webhook input', () => {
  it('puts the JSON body over default_values, and wraps a body that is not an object', () => {
    expect(webhookInput({ a: 1, b: 2 }, incoming({ json: { b: 3 } }))).to.deep.equal({ a: 1, b: 3 });
    expect(webhookInput({ a: 1 }, incoming({ json: [1] }))).to.deep.equal({ a: 1, input: [1] });
  });

  it('takes the query for GET and nothing for another method without a JSON body', () => {
    expect(webhookInput({}, incoming({ method: 'GET', query: { x: '1' } }))).to.deep.equal({ x: '1' });
    expect(webhookInput({ d: 1 }, incoming({ query: { x: '1' } }))).to.deep.equal({ d: 1 });
  });

  it('hashes the value a JSON path or a header names, and refuses a delivery without it', () => {
    const a = dedupHash('$.e.id', { e: { id: 7 } }, incoming({}));
    expect(a).to.equal(dedupHash('$.e.id', { e: { id: 7 }, other: 1 }, incoming({})));
    expect(a).to.not.equal(dedupHash('$.e.id', { e: { id: '7' } }, incoming({})));
    const h = incoming({ header: (n) => (n === 'X-Id' ? 'k' : undefined) });
    expect(dedupHash('header:X-Id', {}, h)).to.have.length(64);
    expect(() => dedupHash('$.e.id', { e: {} }, incoming({}))).to.throw(ValidationError);
  });
});
