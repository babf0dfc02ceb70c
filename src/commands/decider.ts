/** The decider pattern: pure decide/evolve over one aggregate's stream (DESIGN §5). */
export interface DomainEvent<T extends string = string, D = object> {
  readonly type: T;
  readonly data: D;
}

export interface Decider<C, E extends DomainEvent, S> {
  /** Throws a SinasError when the command is not allowed in `state`. Returns [] for a no-op. */
  decide(command: C, state: S): readonly E[];
  evolve(state: S, event: E): S;
  readonly initialState: S;
  /** schema version written into each event's metadata */
  readonly eventVersion?: number;
}

export function fold<E extends DomainEvent, S>(
  decider: Decider<unknown, E, S>,
  events: readonly E[],
  from?: S,
): S {
  return events.reduce((s, e) => decider.evolve(s, e), from ?? decider.initialState);
}
