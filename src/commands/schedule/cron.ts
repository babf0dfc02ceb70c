/**
 * Cron expressions as schedules read them: five fields, or six with **seconds last** as the original
 * platform's croniter reads them (`0 * * * * 30`: at second 30 of every hour), so its users'
 * expressions mean what they meant there; `@daily` and friends. Parsed by cron-parser (which puts
 * seconds first, so a six-field expression is reordered before it parses) and evaluated in an IANA time zone, so wall-clock times follow that
 * zone's daylight-saving changes. A local time that does not exist (spring forward) fires once at
 * the shifted instant; one that happens twice (fall back) fires once, at its first occurrence,
 * because ticks are always counted on from the last claimed instant. `H` (a random value) is refused:
 * every worker must compute the same ticks.
 */
import { CronExpressionParser } from 'cron-parser';
import { ValidationError } from '../../errors.js';

/** cron-parser's order for `expression`: a six-field one has its seconds (the last field) moved first */
function parserOrder(expression: string): string {
  const fields = expression.trim().split(/\s+/);
  return fields.length === 6 ? [fields[5], ...fields.slice(0, 5)].join(' ') : expression;
}

const parse = (expression: string, options: Parameters<typeof CronExpressionParser.parse>[1]) =>
  CronExpressionParser.parse(parserOrder(expression), options);

/** whether `tz` names a time zone this runtime knows */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false; // RangeError: an unknown zone
  }
}

/** Throws a ValidationError naming the field when the expression or zone cannot schedule anything. */
export function checkCron(expression: string, timezone = 'UTC'): void {
  if (!isTimeZone(timezone))
    throw new ValidationError(`timezone: '${timezone}' is not an IANA time zone`, 'timezone');
  if (/(^|[\s,/])H(?=$|[\s,/(-])/i.test(expression))
    throw new ValidationError("cron_expression: 'H' (a random value) is not supported", 'cron_expression');
  try {
    parse(expression, { tz: timezone, strict: false }).next();
  } catch (err) {
    throw new ValidationError(`cron_expression: ${(err as Error).message}`, 'cron_expression');
  }
}

/** The first tick strictly after `after`. */
export function nextTick(expression: string, timezone: string, after: Date): Date {
  return parse(expression, { tz: timezone, currentDate: after }).next().toDate();
}

/**
 * Ticks strictly after `after` and at or before `until`, oldest first, at most `max` of them
 * (`more`: there were more).
 */
export function ticksBetween(
  expression: string,
  timezone: string,
  after: Date,
  until: Date,
  max: number,
): { ticks: Date[]; more: boolean } {
  const it = parse(expression, { tz: timezone, currentDate: after });
  const ticks: Date[] = [];
  for (;;) {
    const t = it.next().toDate();
    if (t.getTime() > until.getTime()) return { ticks, more: false };
    if (ticks.length === max) return { ticks, more: true };
    ticks.push(t);
  }
}

/** The latest tick at or before `at`. */
export function latestTick(expression: string, timezone: string, at: Date): Date {
  const justAfter = new Date(at.getTime() + 1);
  return parse(expression, { tz: timezone, currentDate: justAfter }).prev().toDate();
}
