/**
 * `append`: single-event appends/s with 32 concurrent writers through the command path
 * (CommandHandler → PgEventStore), against raw `pg` single-row INSERTs and Emmett's
 * appendToStream, measured in interleaved rounds on the same fresh database.
 */
import { emmett, ours, rawPg, STREAM_LEN, type Contender } from './contenders.js';
import { freshDatabase } from './db.js';
import { emit, errorMessage, log } from './io.js';
import { closedLoop } from './load.js';
import { median, ratio, round } from './stats.js';

const WRITERS = 32;
const ROUNDS = Number(process.env.BENCH_APPEND_ROUNDS ?? 5);
const ROUND_MS = Number(process.env.BENCH_APPEND_ROUND_MS ?? 4000);
const WARMUP_MS = 1500;
/** pool size given to PgEventStore (its batcher keeps up to two batches in flight; reads use the rest) */
const POOL_MAX = Number(process.env.BENCH_POOL_MAX ?? 10);
/** the shared-stream diagnostic: this many writers per stream, one round after the main ones */
const SHARED_PER_STREAM = 4;

export async function runAppend(): Promise<void> {
  const db = await freshDatabase(2);
  const mine = ours(db.url, WRITERS, POOL_MAX);
  const contenders: Contender[] = [mine];
  let emmettError: string | undefined;
  /** Emmett may fail here (it's someone else's library): drop it from the run, report why. */
  const dropEmmett = async (err: unknown) => {
    emmettError = errorMessage(err);
    log(`emmett failed: ${emmettError}`);
    const i = contenders.findIndex((c) => c.name === 'emmett');
    if (i >= 0)
      await contenders
        .splice(i, 1)[0]!
        .close()
        .catch(() => {});
  };
  try {
    contenders.push(await rawPg(db.url, WRITERS));
    await emmett(db.url, WRITERS).then((c) => contenders.push(c), dropEmmett);
    const rounds = await measure(contenders, dropEmmett, () => {
      mine.stats.batches = 0;
      mine.stats.commands = 0;
    });
    const shared = await sharedStreams(db.url).catch((err) => ({ ours_shared_error: errorMessage(err) }));
    const ours_per_s = round(median(rounds.ours ?? []), 0);
    const raw_pg_per_s = round(median(rounds.raw ?? []), 0);
    const emmett_per_s = emmettError ? null : round(median(rounds.emmett ?? []), 0);
    emit({
      bench: 'append',
      writers: WRITERS,
      ours_per_s,
      raw_pg_per_s,
      emmett_per_s,
      ratio_raw: ratio(ours_per_s, raw_pg_per_s),
      ratio_emmett: ratio(ours_per_s, emmett_per_s),
      ...(emmettError ? { emmett_error: emmettError } : {}),
      rounds: ROUNDS,
      round_s: ROUND_MS / 1000,
      pool_max: POOL_MAX,
      ours_avg_batch: round(mine.stats.commands / Math.max(1, mine.stats.batches), 1),
      ...shared,
      ours_rounds: rounds.ours?.map((x) => round(x, 0)),
      raw_rounds: rounds.raw?.map((x) => round(x, 0)),
      emmett_rounds: rounds.emmett?.map((x) => round(x, 0)),
      notes:
        `one event per command; each writer owns its stream, a fresh one every ${STREAM_LEN} appends; ` +
        `raw = autocommit single-row INSERT on ${WRITERS} dedicated clients; ` +
        `emmett = appendToStream with a tracked expected version on a ${WRITERS}-connection pool; ` +
        `ours_shared_* = one extra round of the command path with ${SHARED_PER_STREAM} writers per stream (no baseline)`,
      target: 'ratio_raw >= 1, ratio_emmett >= 1.5',
    });
  } finally {
    for (const c of contenders) await c.close().catch((err) => log(`close ${c.name}: ${errorMessage(err)}`));
    await db.drop();
  }
}

/** The command path when a few writers share each stream: appends in one batch conflict. */
async function sharedStreams(url: string): Promise<Record<string, unknown>> {
  const c = ours(url, WRITERS, POOL_MAX, SHARED_PER_STREAM);
  try {
    await closedLoop(WRITERS, WARMUP_MS / 2, (w) => c.op(w));
    c.stats.commands = 0;
    c.stats.conflicts = 0;
    c.stats.gaveUp = 0;
    let succeeded = 0;
    const snapshot = setTimeout(() => (succeeded = c.stats.commands), ROUND_MS);
    await closedLoop(WRITERS, ROUND_MS, (w) => c.op(w)).finally(() => clearTimeout(snapshot));
    const perS = succeeded / (ROUND_MS / 1000);
    log(`append: ${c.name} ${perS.toFixed(0)}/s, ${c.stats.gaveUp} gave up`);
    return {
      ours_shared_per_s: round(perS, 0),
      ours_shared_writers_per_stream: SHARED_PER_STREAM,
      ours_shared_conflicts_per_command: round(c.stats.conflicts / Math.max(1, c.stats.commands), 2),
      ours_shared_gave_up: c.stats.gaveUp,
    };
  } finally {
    await c.close();
  }
}

/** Warm-up, then ROUNDS interleaved rounds; each contender's ops/s per round. */
async function measure(
  contenders: Contender[],
  dropEmmett: (err: unknown) => Promise<void>,
  afterWarmup: () => void,
): Promise<Record<string, number[]>> {
  const once = async (c: Contender, ms: number): Promise<number | undefined> => {
    try {
      return await closedLoop(WRITERS, ms, (w) => c.op(w));
    } catch (err) {
      if (c.name !== 'emmett') throw err;
      await dropEmmett(err);
      return undefined;
    }
  };
  for (const c of [...contenders]) {
    log(`append: warm-up ${c.name}`);
    await once(c, WARMUP_MS);
  }
  afterWarmup();
  const rounds: Record<string, number[]> = {};
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of [...contenders]) {
      const perS = await once(c, ROUND_MS);
      if (perS === undefined) continue;
      (rounds[c.name] ??= []).push(perS);
      log(`append: round ${r + 1}/${ROUNDS} ${c.name} ${perS.toFixed(0)}/s`);
    }
  }
  return rounds;
}
