/**
 * Render tokens (reference §5.9): an hour long, for one component and this purpose only; a
 * component block read back with less than ten minutes left on its token gets a new one.
 */
import { expect } from 'chai';
import { decodeJwt } from 'jose';
import { renewComponentBlock } from '../../src/runtime/components/component-blocks.js';
import { RenderTokens } from '../../src/runtime/components/render-tokens.js';

const SECRET = 'a-jwt-secret-of-at-least-thirty-two-chars';
const MIN = 60_000;

describe('component render tokens', () => {
  const tokens = new RenderTokens(SECRET);
  const claim = { namespace: 'ui', name: 'card', userId: 'u1' };
  const block = (token: string) =>
    JSON.stringify({ type: 'component', namespace: 'ui', name: 'card', render_token: token, display: 'x' });
  const expOf = (content: unknown) =>
    decodeJwt((JSON.parse(content as string) as { render_token: string }).render_token).exp!;

  it('verifies for its component only: 401 for a forged or foreign-key token, 403 for another component', async () => {
    const t = await tokens.sign(claim);
    expect(await tokens.verify(t, 'ui', 'card')).to.deep.equal(claim);
    await tokens.verify(t, 'ui', 'other').then(
      () => expect.fail('accepted'),
      (e: { code: string }) => expect(e.code).to.equal('forbidden'),
    );
    const foreign = await new RenderTokens('another-secret-of-at-least-thirty-two-c').sign(claim);
    for (const bad of [foreign, undefined, 'x.y.z'])
      await tokens.verify(bad, 'ui', 'card').then(
        () => expect.fail('accepted'),
        (e: { code: string }) => expect(e.code).to.equal('unauthorized'),
      );
  });

  it('renews a block whose token has less than ten minutes left, and keeps a fresher one', async () => {
    const now = Date.now();
    const old = await tokens.sign(claim, now - 55 * MIN);
    const renewed = await renewComponentBlock(block(old), tokens, now);
    expect(expOf(renewed)).to.equal(Math.floor(now / 1000) + 3600);
    expect(await tokens.verify(JSON.parse(renewed as string).render_token, 'ui', 'card')).to.deep.equal(
      claim,
    );
    // an expired one too
    const expired = await tokens.sign(claim, now - 2 * 60 * MIN);
    expect(expOf(await renewComponentBlock(block(expired), tokens, now))).to.equal(
      Math.floor(now / 1000) + 3600,
    );
    const fresh = await tokens.sign(claim, now - 30 * MIN);
    expect(await renewComponentBlock(block(fresh), tokens, now)).to.equal(block(fresh));
  });

  it('leaves anything else as it was: other content, a forged token, a cut result', async () => {
    const now = Date.now();
    const forged = await new RenderTokens('another-secret-of-at-least-thirty-two-c').sign(
      claim,
      now - 55 * MIN,
    );
    expect(await renewComponentBlock(block(forged), tokens, now)).to.equal(block(forged));
    expect(await renewComponentBlock('{"render_token": "x', tokens, now)).to.equal('{"render_token": "x');
    expect(await renewComponentBlock('plain text', tokens, now)).to.equal('plain text');
    expect(await renewComponentBlock(null, tokens, now)).to.equal(null);
  });
});
