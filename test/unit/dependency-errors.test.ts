/** Telling an outage from a bug, and what the API answers for one (issue 20). */
import { expect } from 'chai';
import { asDependencyUnavailable, isConnectionError, neverSent } from '../../src/dependency-errors.js';
import { DependencyUnavailableError, OutcomeUnknownError, ValidationError } from '../../src/errors.js';
import { toProblem } from '../../src/http/problem.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('dependency errors', () => {
  it('recognises refused, reset and lost connections and a server going away', () => {
    for (const err of [
      withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'),
      withCode('ECONNRESET'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P02'),
      withCode('57P03', 'the database system is shutting down'),
      withCode('08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new AggregateError([withCode('ECONNREFUSED')]),
      Object.assign(new Error('wrapped'), { cause: withCode('ECONNRESET') }),
    ])
      expect(isConnectionError(err), err.message).to.equal(true);
  });

  it('leaves bugs and bad input alone', () => {
    for (const err of [
      new Error('boom'),
      withCode('23505'),
      withCode('22P02'),
      new ValidationError('bad', 'x'),
    ])
      expect(asDependencyUnavailable(err), err.message).to.equal(undefined);
  });

  it('knows a refused connection never sent anything, and a cut one may have', () => {
    expect(neverSent(withCode('ECONNREFUSED'))).to.equal(true);
    expect(neverSent(new Error('Connection terminated unexpectedly'))).to.equal(false);
    expect(neverSent(withCode('57P01'))).to.equal(false);
  });

  it('answers an outage 503 naming the dependency, never 500', () => {
    const p = toProblem(withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'));
    expect(p).to.include({ status: 503, code: 'dependency_unavailable', dependency: 'database' });
    expect(toProblem(new OutcomeUnknownError('event store'))).to.include({
      status: 503,
      dependency: 'event store',
    });
    expect(new OutcomeUnknownError('event store')).to.be.instanceOf(DependencyUnavailableError);
  });
});
