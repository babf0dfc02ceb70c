/**
 * Why a process could not start, and how to fix it: every start failure the platform can diagnose
 * (a port or data directory in use, the embedded database's own complaint, a superuser database
 * role in production) is one of these, so `npm start` never ends with a bare "failed to start".
 */
export class StartupError extends Error {
  constructor(
    /** what is wrong, in one sentence */
    readonly why: string,
    /** what the operator does about it */
    readonly fix: string,
    /** supporting lines (a log tail, the process holding a port) */
    readonly detail?: string,
    options?: { cause?: unknown },
  ) {
    super(why, options);
    this.name = 'StartupError';
  }
}

/** The text `npm start` prints when the process cannot start. */
export function describeStartFailure(err: unknown): string {
  if (err instanceof StartupError) {
    const detail = err.detail ? `\n\n${indent(err.detail)}` : '';
    return `Sinas could not start: ${err.why}\n  how to fix: ${err.fix}${detail}\n`;
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return (
    `Sinas could not start: ${e.message || e.name}\n` +
    `  how to fix: no diagnosis for this one; the stack below says where it failed ` +
    `(LOG_LEVEL=debug logs more)\n\n${indent(e.stack ?? String(e))}\n`
  );
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
