import { expect } from 'chai';
import { IllegalStateError, NotFoundError } from '../../src/errors.js';
import { handledLater, ignoreIf, isA, settled } from '../../src/expected-errors.js';

describe('expected errors', () => {
  it('ignoreIf turns only the expected errors into undefined; any other still fails', async () => {
    const gone = ignoreIf(isA(NotFoundError));
    expect(await Promise.reject(new NotFoundError('x')).catch(gone)).to.equal(undefined);
    const other = new IllegalStateError('y');
    const err = await Promise.reject(other)
      .catch(gone)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).to.equal(other);
  });

  it('settled waits for either outcome, without the failure', async () => {
    expect(await settled(Promise.reject(new Error('x')))).to.equal(undefined);
    expect(await settled(Promise.resolve(1))).to.equal(undefined);
  });

  it('handledLater keeps the failure for whoever awaits the promise', async () => {
    const p = handledLater(Promise.reject(new Error('later')));
    await new Promise((resolve) => setImmediate(resolve)); // an unhandled rejection would surface here
    const err = await p.then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).to.equal('later');
  });
});
