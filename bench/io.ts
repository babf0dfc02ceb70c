/** Output discipline for `npm run bench`: result lines on stdout, everything else on stderr. */

export type BenchLine = { readonly bench: string } & Readonly<Record<string, unknown>>;

/** Writes one result line (one JSON object) to stdout. */
export function emit(line: BenchLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** Progress and diagnostics: stderr only. */
export function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

/** Sends console.log/info/debug (a library's chatter) to stderr so stdout stays JSON only. */
export function quietConsole(): void {
  const toStderr = (...args: unknown[]) => process.stderr.write(`${args.map(String).join(' ')}\n`);
  console.log = toStderr;
  console.info = toStderr;
  console.debug = toStderr;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
