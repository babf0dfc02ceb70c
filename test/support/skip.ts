/** Loud SKIPPED lines for suites whose service is missing on this machine. */
const printed = new Set<string>();

export function skipLoudly(ctx: Mocha.Context, service: string, why: string): void {
  const line = `SKIPPED (${service} missing): ${ctx.test?.parent?.fullTitle() ?? 'suite'}: ${why}`;
  if (!printed.has(line)) {
    printed.add(line);
    process.stderr.write(`\n\x1b[33;1m${'!'.repeat(8)} ${line}\x1b[0m\n`);
  }
  ctx.skip();
}

export function redisUrl(): string | undefined {
  return process.env.TEST_REDIS_URL || undefined;
}
