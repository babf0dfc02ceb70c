/**
 * A turn job waits out an outage instead of using up its retries: `throughOutages` runs the attempt
 * again while it fails with a lost or refused connection, and gives up on anything else or a stop.
 */
import { expect } from 'chai';
import { DependencyUnavailableError } from '../../src/errors.js';
import { throughOutages } from '../../src/runtime/turns/turn-jobs.js';

const refused = () =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

describe('throughOutages', () => {
  it('runs the attempt again while a dependency is down, then returns its result', async () => {
    let tries = 0;
    const result = await throughOutages(
      async () => {
        tries++;
        if (tries === 1) throw refused();
        if (tries === 2) throw new DependencyUnavailableError('database');
        return 'done';
      },
      { context: { loop: 'test' } },
    );
    expect(result).to.equal('done');
    expect(tries).to.equal(3);
  });

  it('ends at the first failure that is not an outage', async () => {
    let tries = 0;
    const failing = throughOutages(
      async () => {
        tries++;
        throw new Error('the model refused');
      },
      { context: { loop: 'test' } },
    );
    await failing.then(
      () => expect.fail('resolved'),
      (err: Error) => expect(err.message).to.equal('the model refused'),
    );
    expect(tries).to.equal(1);
  });

  it('gives up on an outage once stopping', async () => {
    const stop = new AbortController();
    let tries = 0;
    const waiting = throughOutages(
      async () => {
        tries++;
        if (tries === 2) stop.abort();
        throw refused();
      },
      { context: { loop: 'test' }, stop: stop.signal },
    );
    await waiting.then(
      () => expect.fail('resolved'),
      (err: Error) => expect(err.message).to.match(/ECONNREFUSED/),
    );
    expect(tries).to.equal(2);
  });
});
