/**
 * Counts every query this process sends to Postgres, by wrapping `pg.Client.prototype.query`: every
 * pool's `query`, every checked-out client, the LISTEN connection and plain clients all end there
 * (pg-pool calls it on the client it checks out), so nothing the platform asks in this process goes
 * uncounted. A multi-statement simple query is one call, one round trip. With `attribute` on, each
 * query is charged to the platform code that sent it (the nearest frames under src/, from the stack
 * trace), which costs CPU: keep it off while CPU time is measured.
 */
import pg from 'pg';

export interface QueryCounter {
  /** queries sent since the counter was installed */
  readonly total: number;
  /** queries per source since the last `resetSources` (filled only while `attribute` is on) */
  readonly bySource: ReadonlyMap<string, number>;
  attribute: boolean;
  resetSources(): void;
  uninstall(): void;
}

const SRC_FRAME = /at (?:async )?(?:([\w.<>$ ]+?) \()?(?:file:\/\/)?[^()]*\/src\/([\w/.-]+\.ts):\d+:\d+\)?$/;

/**
 * "runner.ts ProjectionRunner.applyBatch" for the nearest two distinct places under src/; the
 * statement's start when the stack shows none (a query sent from a timer or a pg callback).
 */
function sourceOf(stack: string, text: string): string {
  const places: string[] = [];
  for (const line of stack.split('\n')) {
    const m = SRC_FRAME.exec(line.trim());
    if (!m) continue;
    const place = `${m[2]!.replace(/^.*\//, '')} ${m[1] ?? '<anonymous>'}`;
    if (!places.includes(place)) places.push(place);
    if (places.length === 2) break;
  }
  // a checkpoint statement names its projection: charge it to that projection
  const cp = /projection_checkpoints\s+(?:SET [^']*)?WHERE name = '([^']+)'/.exec(text);
  const who = cp ? ` [${cp[1]}]` : '';
  const where = places.length ? places.join(' < ') : `sql ${text.replace(/\s+/g, ' ').slice(0, 60)}`;
  return where + who;
}

function queryText(args: unknown[]): string {
  const q = args[0] as string | { text?: string } | undefined;
  return typeof q === 'string' ? q : (q?.text ?? '');
}

export function installQueryCounter(): QueryCounter {
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  const bySource = new Map<string, number>();
  const counter = {
    total: 0,
    bySource,
    attribute: false,
    resetSources: () => bySource.clear(),
    uninstall: () => void (proto.query = original),
  };
  proto.query = function (this: unknown, ...args: unknown[]) {
    counter.total++;
    if (counter.attribute) {
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 40;
      const key = sourceOf(new Error().stack ?? '', queryText(args));
      Error.stackTraceLimit = limit;
      bySource.set(key, (bySource.get(key) ?? 0) + 1);
    }
    return original.apply(this, args);
  };
  return counter;
}
