/** given events → when command → then events (or error): deciders tested as one-liners. */
import { expect } from 'chai';
import type { Decider, DomainEvent } from '../../src/commands/decider.js';
import { fold } from '../../src/commands/decider.js';
import { SinasError } from '../../src/errors.js';

export function deciderSpec<C, E extends DomainEvent, S>(decider: Decider<C, E, S>) {
  return (given: readonly E[]) => {
    const decide = (command: C) => () =>
      decider.decide(command, fold(decider as Decider<unknown, E, S>, given));
    return {
      when: (command: C) => ({
        then: (expected: readonly E[]) => expect(decide(command)()).to.deep.equal(expected),
        thenThrows: (errorType: new (...args: never[]) => Error, message?: RegExp) =>
          expect(decide(command)).to.throw(errorType, message),
        /** refused with this error code (and field, when given): what a client is told */
        thenRefuses: (code: string, field?: string, message?: RegExp) => {
          let thrown: unknown;
          try {
            decide(command)();
          } catch (err) {
            thrown = err;
          }
          expect(thrown, 'the command was refused').to.be.instanceOf(SinasError);
          const err = thrown as SinasError;
          expect(err.code).to.equal(code);
          if (field !== undefined) expect(err.field).to.equal(field);
          if (message) expect(err.message).to.match(message);
        },
      }),
    };
  };
}
