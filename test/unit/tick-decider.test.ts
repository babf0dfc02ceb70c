/**
 * The schedule tick decider on a simulated clock: a worker loop that wakes at each decided time (and
 * at odd moments besides) claims every tick once, across daylight-saving changes, and folds ticks
 * missed beyond the grace into one fire.
 */
import { expect } from 'chai';
import { checkCron, nextTick } from '../../src/commands/schedule/cron.js';
import {
  decideTick,
  type TickHistory,
  type TickPolicy,
  type TickSchedule,
} from '../../src/commands/schedule/tick-decider.js';
import { ValidationError } from '../../src/errors.js';

const policy: TickPolicy = { graceMs: 60_000, staleClaimMs: 10_000 };

/** Runs a loop from `from` to `to`: wakes at each idle's `next` and also every `pokeMs`; returns the claimed dues. */
function simulate(s: TickSchedule, from: string, to: string, pokeMs = 7 * 60_000): string[] {
  let now = new Date(from).getTime();
  const end = new Date(to).getTime();
  let h: TickHistory = {};
  const fired: string[] = [];
  while (now <= end) {
    const d = decideTick(s, h, new Date(now), policy);
    if (d.kind === 'claim') {
      fired.push(d.due.toISOString());
      h = { lastDue: d.due };
      continue; // the loop decides again at once
    }
    expect(d.kind).to.equal('idle');
    const next = d.kind === 'idle' && d.next ? d.next.getTime() : Infinity;
    now = Math.min(next, now + pokeMs);
  }
  return fired;
}

const schedule = (cron: string, timezone: string, createdAt: string): TickSchedule => ({
  cron,
  timezone,
  active: true,
  createdAt: new Date(createdAt),
});

describe('schedule tick decider (simulated clock)', () => {
  it('America/New_York spring forward: a daily 02:30 fires once on the short day, at 03:30 EDT', () => {
    const fired = simulate(
      schedule('30 2 * * *', 'America/New_York', '2026-03-06T12:00:00Z'),
      '2026-03-06T12:00:00Z',
      '2026-03-10T12:00:00Z',
    );
    console.log(`      fires: ${fired.join(' ')}`);
    expect(fired).to.deep.equal([
      '2026-03-07T07:30:00.000Z', // 02:30 EST
      '2026-03-08T07:30:00.000Z', // 02:30 does not exist: 03:30 EDT
      '2026-03-09T06:30:00.000Z', // 02:30 EDT
      '2026-03-10T06:30:00.000Z',
    ]);
  });

  it('America/New_York fall back: a daily 01:30 fires once though 01:30 happens twice', () => {
    const fired = simulate(
      schedule('30 1 * * *', 'America/New_York', '2026-10-30T12:00:00Z'),
      '2026-10-30T12:00:00Z',
      '2026-11-02T12:00:00Z',
      60_000,
    );
    expect(fired).to.deep.equal([
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z', // the first 01:30 (EDT); the second (06:30Z, EST) does not fire
      '2026-11-02T06:30:00.000Z',
    ]);
  });

  it('Europe/Amsterdam fall back: an hourly schedule fires at each of the 25 hours, each once', () => {
    const fired = simulate(
      schedule('0 * * * *', 'Europe/Amsterdam', '2026-10-24T21:30:00Z'),
      '2026-10-24T21:30:00Z',
      '2026-10-25T23:00:00Z',
    );
    // local midnight to midnight on 25 October is 22:00Z to 23:00Z the next day: 25 hours
    const day = fired.filter((t) => t >= '2026-10-24T22:00:00.000Z' && t < '2026-10-25T23:00:00.000Z');
    expect(day).to.have.length(25);
    expect(new Set(fired).size).to.equal(fired.length);
    for (let i = 1; i < fired.length; i++)
      expect(Date.parse(fired[i]!) - Date.parse(fired[i - 1]!)).to.equal(3_600_000);
  });

  it('Europe/Amsterdam spring forward: an hourly schedule has 23 hours, and 02:30 daily fires at 03:30 CEST', () => {
    const hourly = simulate(
      schedule('0 * * * *', 'Europe/Amsterdam', '2026-03-28T22:30:00Z'),
      '2026-03-28T22:30:00Z',
      '2026-03-29T22:00:00Z',
    );
    expect(
      hourly.filter((t) => t >= '2026-03-28T23:00:00.000Z' && t < '2026-03-29T22:00:00.000Z'),
    ).to.have.length(23);
    const daily = simulate(
      schedule('30 2 * * *', 'Europe/Amsterdam', '2026-03-27T12:00:00Z'),
      '2026-03-27T12:00:00Z',
      '2026-03-30T12:00:00Z',
    );
    expect(daily).to.deep.equal([
      '2026-03-28T01:30:00.000Z',
      '2026-03-29T01:30:00.000Z', // 03:30 CEST
      '2026-03-30T00:30:00.000Z',
    ]);
  });

  it('every second: each tick once, none missing, whatever moments the loop wakes at', () => {
    const fired = simulate(
      schedule('* * * * * *', 'Europe/Amsterdam', '2026-10-25T00:59:30Z'),
      '2026-10-25T00:59:30.500Z',
      '2026-10-25T01:00:30.500Z',
      333,
    );
    expect(fired).to.have.length(60);
    expect(fired[0]).to.equal('2026-10-25T00:59:31.000Z');
    expect(fired.at(-1)).to.equal('2026-10-25T01:00:30.000Z');
  });

  it('ticks missed beyond the grace fire once, as the latest, counting the ones folded in', () => {
    const s = schedule('*/5 * * * *', 'UTC', '2026-01-01T00:00:00Z');
    const d = decideTick(
      s,
      { lastDue: new Date('2026-01-01T00:00:00Z') },
      new Date('2026-01-01T01:02:00Z'),
      policy,
    );
    expect(d).to.deep.equal({ kind: 'claim', due: new Date('2026-01-01T01:00:00Z'), skipped: 11 });
  });

  it('a tick within the grace fires on its own; a paused schedule claims nothing', () => {
    const s = schedule('*/5 * * * *', 'UTC', '2026-01-01T00:00:00Z');
    const now = new Date('2026-01-01T00:05:30Z');
    expect(decideTick(s, {}, now, policy)).to.deep.equal({
      kind: 'claim',
      due: new Date('2026-01-01T00:05:00Z'),
      skipped: 0,
    });
    expect(decideTick({ ...s, active: false }, {}, now, policy)).to.deep.equal({
      kind: 'idle',
      next: undefined,
    });
  });

  it('an open claim is left to its worker until stale, then finished by anyone', () => {
    const s = schedule('* * * * *', 'UTC', '2026-01-01T00:00:00Z');
    const h = {
      lastDue: new Date('2026-01-01T00:01:00Z'),
      openClaimAt: new Date('2026-01-01T00:01:00.010Z'),
    };
    expect(decideTick(s, h, new Date('2026-01-01T00:01:05Z'), policy)).to.deep.equal({
      kind: 'idle',
      next: new Date('2026-01-01T00:01:10.010Z'),
    });
    expect(decideTick(s, h, new Date('2026-01-01T00:01:11Z'), policy)).to.deep.equal({
      kind: 'finish',
      due: h.lastDue,
    });
  });

  it('refuses an expression or zone that cannot schedule, naming the field', () => {
    const field = (f: () => void) => {
      try {
        f();
      } catch (err) {
        expect(err).to.be.instanceOf(ValidationError);
        return (err as ValidationError).field;
      }
      return 'accepted';
    };
    expect(field(() => checkCron('61 * * * *'))).to.equal('cron_expression');
    expect(field(() => checkCron('H * * * *'))).to.equal('cron_expression');
    expect(field(() => checkCron('* * * * *', 'Mars/Olympus'))).to.equal('timezone');
    expect(field(() => checkCron('0 9 * * THU', 'Europe/Amsterdam'))).to.equal('accepted');
  });
});

describe('cron expressions as the original platform wrote them', () => {
  it('reads a six-field expression with seconds last (croniter), not first', () => {
    const after = new Date('2026-03-01T10:00:00Z');
    // at second 30 of each minute of hour 10; seconds-first would read it as minute 30 of every hour
    expect(nextTick('* 10 * * * 30', 'UTC', after).toISOString()).to.equal('2026-03-01T10:00:30.000Z');
    expect(nextTick('* * * * * */15', 'UTC', after).toISOString()).to.equal('2026-03-01T10:00:15.000Z');
    expect(nextTick('5 * * * *', 'UTC', after).toISOString()).to.equal('2026-03-01T10:05:00.000Z');
  });
});
