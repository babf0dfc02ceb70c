import { expect } from 'chai';
import {
  AlreadyExistsError,
  ConcurrencyError,
  NotFoundError,
  PreconditionFailedError,
  UnauthorizedError,
  ValidationError,
} from '../../src/errors.js';
import { toProblem } from '../../src/http/problem.js';

describe('problem+json mapping', () => {
  it('maps each error to its status and keeps the field', () => {
    expect(toProblem(new ValidationError('bad', 'name'))).to.include({ status: 400, field: 'name' });
    expect(toProblem(new UnauthorizedError('no'))).to.include({ status: 401 });
    expect(toProblem(new NotFoundError('no'))).to.include({ status: 404 });
    expect(toProblem(new AlreadyExistsError('dup', 'name'))).to.include({ status: 409 });
    expect(toProblem(new ConcurrencyError('s', '1', '2'))).to.include({ status: 409 });
    expect(toProblem(new PreconditionFailedError('stale', 'If-Match'))).to.include({
      status: 412,
      field: 'If-Match',
    });
  });

  it('hides the message of an unexpected error behind a 500', () => {
    const p = toProblem(new Error('password=hunter2'));
    expect(p.status).to.equal(500);
    expect(JSON.stringify(p)).not.to.contain('hunter2');
  });

  it('does not echo the body around a JSON syntax error (it may hold a secret)', () => {
    let parseError: Error | undefined;
    try {
      JSON.parse('{"name":"A","value":hunter2hunter2}');
    } catch (err) {
      parseError = err as Error;
    }
    expect(parseError!.message).to.contain('hunter2'); // what the parser would have said
    const p = toProblem(Object.assign(parseError!, { type: 'entity.parse.failed', status: 400 }));
    expect(p).to.include({ status: 400, field: 'body' });
    expect(JSON.stringify(p)).not.to.contain('hunter2');
  });
});
