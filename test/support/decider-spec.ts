/** given events → when command → then events (or error): deciders tested as one-liners. */
import { expect } from 'chai';
import type { Decider, DomainEvent } from '../../src/commands/decider.js';
import { fold } from '../../src/commands/decider.js';

export function deciderSpec<C, E extends DomainEvent, S>(decider: Decider<C, E, S>) {
  return (given: readonly E[]) => ({
    when: (command: C) => ({
      then: (expected: readonly E[]) =>
        expect(decider.decide(command, fold(decider as Decider<unknown, E, S>, given))).to.deep.equal(
          expected,
        ),
      thenThrows: (errorType: new (...args: never[]) => Error, message?: RegExp) => {
        const run = () => decider.decide(command, fold(decider as Decider<unknown, E, S>, given));
        expect(run).to.throw(errorType, message);
      },
    }),
  });
}
