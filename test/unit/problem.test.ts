import { expect } from 'chai';
import express from 'express';
import type { AddressInfo } from 'node:net';
import {
  AlreadyExistsError,
  ConcurrencyError,
  DependencyUnavailableError,
  NotFoundError,
  PreconditionFailedError,
  RefusedBeforeWriteError,
  UnauthorizedError,
  ValidationError,
} from '../../src/errors.js';
import { errorHandler, toProblem } from '../../src/http/problem.js';

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

  it('answers 503 with Retry-After and names the dependency that is down', async () => {
    const app = express();
    app.get('/', () => {
      throw new DependencyUnavailableError('redis', new Error('connect ECONNREFUSED 127.0.0.1:6379'));
    });
    app.use(errorHandler(() => {}));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(res.status).to.equal(503);
      expect(Number(res.headers.get('retry-after'))).to.be.greaterThan(0);
      expect(res.headers.get('content-type')).to.contain('application/problem+json');
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).to.include({ status: 503, dependency: 'redis', code: 'dependency_unavailable' });
      expect(String(body.detail)).to.contain('redis');
      expect(JSON.stringify(body)).not.to.contain('ECONNREFUSED');
    } finally {
      server.close();
    }
  });

  /** what a mutating request that reached its command answers when `err` is thrown */
  async function answerOfCommand(err: Error): Promise<Record<string, unknown>> {
    const app = express();
    app.post('/', (_req, res) => {
      res.locals.command = { commandId: 'c-1', idempotencyKey: 'k-1' };
      throw err;
    });
    app.use(errorHandler(() => {}));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
        method: 'POST',
      });
      expect(res.status).to.equal(503);
      expect(Number(res.headers.get('retry-after'))).to.be.greaterThan(0);
      return (await res.json()) as Record<string, unknown>;
    } finally {
      server.close();
    }
  }

  it('answers "outcome unknown" with the key to retry when the dependency fails during a command', async () => {
    const body = await answerOfCommand(new DependencyUnavailableError('database'));
    expect(body).to.include({ code: 'outcome_unknown', command_id: 'c-1', idempotency_key: 'k-1' });
  });

  it('answers a plain 503 naming the dependency when the command was refused before writing anything', async () => {
    const body = await answerOfCommand(new RefusedBeforeWriteError('redis'));
    expect(body).to.include({ status: 503, code: 'dependency_unavailable', dependency: 'redis' });
    expect(body).not.to.have.property('command_id');
    expect(body).not.to.have.property('idempotency_key');
  });
});
