/**
 * Where a failure is deliberately not passed on, the code says which and why, never with a bare
 * catch that returns nothing: an expected error that means "nothing to do here" (`ignoreIf`, with
 * the reason at the call), or a promise awaited only for its timing, whose failure whoever awaits
 * it directly sees (`settled`, `handledLater`). Anything else is logged with context by the caller.
 */

export type ErrorTest = (err: unknown) => boolean;

/** An error test: `err` is an instance of one of `types`. */
export const isA =
  (...types: (abstract new (...args: never[]) => Error)[]): ErrorTest =>
  (err) =>
    types.some((t) => err instanceof t);

/** A rejection handler: an error `expected` accepts becomes `undefined`; any other is thrown on. */
export const ignoreIf =
  (expected: ErrorTest) =>
  (err: unknown): undefined => {
    if (expected(err)) return undefined;
    throw err;
  };

/**
 * Resolves once `p` settles, either way: for ordering only (the tail of a queue of calls, a call
 * given up whose result nobody wants). Whoever awaits `p` itself still sees its failure.
 */
export const settled = (p: PromiseLike<unknown>): Promise<void> =>
  Promise.resolve(p).then(
    () => undefined,
    () => undefined,
  );

/**
 * `p` itself, its failure left to whoever awaits it later: started early (a prefetch) and perhaps
 * never awaited, it must not end the process as an unhandled rejection meanwhile.
 */
export function handledLater<T>(p: Promise<T>): Promise<T> {
  void settled(p);
  return p;
}
