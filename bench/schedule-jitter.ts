/**
 * `schedule_jitter`: how late each tick of a schedule fires after its due time, with two worker
 * processes racing for every tick (as in production: every worker runs the scheduler loop). A
 * function schedule every second runs for `BENCH_SCHEDULE_SECONDS` (default 60); a tick's delay is
 * its `ScheduleTickFired` time (the execution requested and the outcome recorded) minus its due
 * time, read back from the tick stream. Target: p99 ≤ 250 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  scheduleTickStream,
  type TickClaimedData,
  type TickFiredData,
} from '../src/events/schedule-events.js';
import { emit, log, sleep } from './io.js';
import { platformEnv, startBenchPlatform } from './platform.js';
import { percentile, round } from './stats.js';

const SECONDS = Number(process.env.BENCH_SCHEDULE_SECONDS ?? 60);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function spawnWorker(databaseUrl: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...platformEnv(databaseUrl, { SINAS_ROLE: 'worker', LOG_LEVEL: 'error' }) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

export async function runScheduleJitter(): Promise<void> {
  const p = await startBenchPlatform({ SINAS_ROLE: 'api' });
  const workers = [spawnWorker(p.db.url), spawnWorker(p.db.url)];
  try {
    await p.json('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'bench', name: 'tick', code: 'def handler(input_data, context):\n    return 1\n' },
    });
    // the workers project the admin's roles the save checks: wait for them, bounded
    for (let i = 0; ; i++) {
      const me = (await p.json('/auth/me')) as { roles: string[] };
      if (me.roles.includes('Admins')) break;
      if (i > 1200) throw new Error('schedule_jitter: the workers did not start');
      await sleep(50);
    }
    const made = (await p.json('/api/v1/schedules', {
      method: 'POST',
      json: {
        name: 'jitter',
        target_namespace: 'bench',
        target_name: 'tick',
        cron_expression: '* * * * * *',
      },
    })) as { id: string };
    log(`schedule_jitter: a schedule every second for ${SECONDS} s, two worker processes`);
    await sleep(SECONDS * 1000 + 1500);
    await p.json('/api/v1/schedules/jitter', { method: 'PATCH', json: { is_active: false } });
    const events = await p.platform.services.eventStore.readStream(scheduleTickStream(made.id));
    const fired = events
      .filter((e) => e.type === 'ScheduleTickFired')
      .map((e) => e.data as unknown as TickFiredData);
    // the first tick may wait for the workers' first look at the new schedule: counted like the rest
    const delays = fired.map((f) => Date.parse(f.at) - Date.parse(f.due));
    const claimed = events
      .filter((e) => e.type === 'ScheduleTickClaimed')
      .map((e) => e.data as unknown as TickClaimedData);
    const claimDelays = claimed.map((c) => Date.parse(c.at) - Date.parse(c.due));
    const claims = claimed.length;
    emit({
      bench: 'schedule_jitter',
      ticks: fired.length,
      claims,
      p50_ms: round(percentile(delays, 50), 1),
      p99_ms: round(percentile(delays, 99), 1),
      max_ms: round(Math.max(...delays), 1),
      // the decision and the winning claim alone (before the execution is requested)
      claim_p50_ms: round(percentile(claimDelays, 50), 1),
      claim_p99_ms: round(percentile(claimDelays, 99), 1),
      target_p99_ms: 250,
    });
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(
      workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))),
    );
    await p.stop();
  }
}
