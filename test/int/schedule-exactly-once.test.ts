/**
 * Each tick fires exactly once across worker processes and a crash: a schedule every second, served
 * by two worker processes racing for every tick, one SIGKILLed midway. The tick stream holds one
 * claim per due second, with none missing between the first and the last, and each due second has
 * exactly one execution (its id derives from the tick). The counts are printed.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { stableUuid } from '../../src/events/ids.js';
import { scheduleTickStream, type TickClaimedData } from '../../src/events/schedule-events.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';
import { spawnWorker } from '../support/worker-process.js';
import { executionsCaughtUp } from '../support/executions-caught-up.js';

const TICKS_BEFORE_KILL = 12;
const TICKS_AFTER_KILL = 12;

describe('schedule ticks: exactly once across two worker processes and a SIGKILL', function () {
  this.timeout(240_000);
  let t: TestPlatform;
  const workers: ChildProcess[] = [];
  before(async () => {
    t = await startTestPlatform({ SINAS_ROLE: 'api' });
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await t?.stop();
  });

  it('claims every due second once and starts one execution for each', async () => {
    workers.push(spawnWorker(t.db.url), spawnWorker(t.db.url));
    const fn = await t.api('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'once', name: 'tick', code: 'def handler(input_data, context):\n    return 1\n' },
    });
    expect(fn.status).to.equal(201);
    // the workers project it: on a busy machine they may still be starting
    await until(
      'the function projected',
      async () => (await t.api('/api/v1/functions/once/tick')).status === 200,
      100_000,
    );
    // the save checks the admin may run it, from the identity read model the workers project
    await until(
      "the admin's roles projected",
      async () => ((await (await t.api('/auth/me')).json()).roles as string[]).includes('Admins'),
      100_000,
    );
    const created = await t.api('/api/v1/schedules', {
      method: 'POST',
      json: {
        name: 'every-second',
        target_namespace: 'once',
        target_name: 'tick',
        cron_expression: '* * * * * *',
      },
    });
    expect(created.status, await created.clone().text()).to.equal(201);
    const scheduleId = (await created.json()).id as string;
    const store = t.platform.services.eventStore;
    const claims = async () =>
      (await store.readStream(scheduleTickStream(scheduleId))).filter(
        (e) => e.type === 'ScheduleTickClaimed',
      );

    await until('ticks before the kill', async () => (await claims()).length >= TICKS_BEFORE_KILL, 100_000);
    // the worker that claimed the latest tick dies: the other must take over from it
    const latest = (await claims()).at(-1)!.data as unknown as TickClaimedData;
    const victim = workers.find((w) => latest.worker.endsWith(`:${w.pid}`))!;
    expect(victim, `the claimant ${latest.worker} is one of the two workers`).to.not.equal(undefined);
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    const atKill = (await claims()).length;
    await until(
      'ticks after the kill',
      async () => (await claims()).length >= atKill + TICKS_AFTER_KILL,
      100_000,
    );
    const paused = await t.api('/api/v1/schedules/every-second', {
      method: 'PATCH',
      json: { is_active: false },
    });
    expect(paused.status).to.equal(200);
    // every claim has its outcome (a claim the victim left open is finished by the survivor)
    await until(
      'every claim finished',
      async () => {
        const [last] = await store.readStream(scheduleTickStream(scheduleId), {
          direction: 'backwards',
          maxCount: 1,
        });
        return last?.type !== 'ScheduleTickClaimed';
      },
      100_000,
    );

    const all = (await claims()).map((e) => e.data as unknown as TickClaimedData);
    const perDue = new Map<string, number>();
    for (const c of all) perDue.set(c.due, (perDue.get(c.due) ?? 0) + 1);
    const byWorker = new Map<string, number>();
    for (const c of all) byWorker.set(c.worker, (byWorker.get(c.worker) ?? 0) + 1);
    const dues = [...perDue.keys()].sort();
    const span = (Date.parse(dues.at(-1)!) - Date.parse(dues[0]!)) / 1000 + 1;
    // the executions read model is read once it has reached the last execution event (the last
    // tick's run was requested moments ago)
    await executionsCaughtUp(t);
    const runs = (await (await t.api('/executions?trigger_type=SCHEDULE&limit=1000')).json()) as {
      id: string;
    }[];
    const runIds = new Set(runs.map((r) => r.id));
    const executionsPerDue = dues.map((due) =>
      runIds.has(stableUuid(`schedule/${scheduleId}/${due}`)) ? 1 : 0,
    );
    const counts = [...perDue.values()];
    console.log(
      `      ${dues.length} ticks over ${span} s; claims per tick: ${JSON.stringify(countOf(counts))}; ` +
        `executions per tick: ${JSON.stringify(countOf(executionsPerDue))}; executions in all: ${runs.length}; ` +
        `claims by worker: ${JSON.stringify(Object.fromEntries(byWorker))}`,
    );
    expect(dues.length).to.be.at.least(TICKS_BEFORE_KILL + TICKS_AFTER_KILL);
    expect(counts.every((n) => n === 1)).to.equal(true);
    expect(all.every((c) => c.skipped === 0)).to.equal(true);
    expect(dues.length).to.equal(span); // no second missing
    expect(executionsPerDue.every((n) => n === 1)).to.equal(true);
    expect(runs.length).to.equal(dues.length);
  });
});

/** {count: how many ticks had it} */
function countOf(values: readonly number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}
