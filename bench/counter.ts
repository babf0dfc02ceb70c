/** The tiny aggregate the append benchmark drives through the CommandHandler: a counter. */
import type { Decider, DomainEvent } from '../src/commands/decider.js';

export type CounterCommand = { readonly type: 'Increment'; readonly by: number };
export type CounterEvent = DomainEvent<'Incremented', { readonly by: number }>;
export type CounterState = { readonly status: 'counting'; readonly value: number };

export const counterDecider: Decider<CounterCommand, CounterEvent, CounterState> = {
  initialState: { status: 'counting', value: 0 },
  decide(command) {
    return [{ type: 'Incremented', data: { by: command.by } }];
  },
  evolve(state, event) {
    return { status: 'counting', value: state.value + event.data.by };
  },
};
