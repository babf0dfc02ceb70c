/**
 * Schedules over HTTP (reference §5.11): saves are checked (cron, zone, target, content), responses
 * carry `last_run`/`next_run`, a function schedule runs its function as the owner (trigger
 * SCHEDULE), an agent schedule starts a titled chat whose turn runs as the owner, and a schedule
 * whose owner lost the right fails its tick visibly.
 */
import { expect } from 'chai';
import { ensureUser, startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { executionsCaughtUp } from '../support/executions-caught-up.js';
import { until } from '../support/until.js';

describe('schedules', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let userApi: (path: string, init?: { method?: string; json?: unknown }) => ReturnType<TestPlatform['api']>;
  let userId = '';
  before(async () => {
    t = await startTestPlatform();
    const key = await userKey(t, 'scheduler');
    userId = await ensureUser(t, 'scheduler@example.com');
    userApi = (path, init = {}) => t.api(path, { ...init, headers: { 'x-api-key': key } });
    const fn = await userApi('/api/v1/functions', {
      method: 'POST',
      json: {
        namespace: 'sched',
        name: 'tick',
        code: 'def handler(input_data, context):\n    return input_data\n',
        input_schema: { type: 'object' },
      },
    });
    expect(fn.status).to.equal(201);
    const agent = await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'sched', name: 'bot' },
    });
    expect(agent.status).to.equal(201);
  });
  after(async () => t?.stop());

  const post = (json: object) => userApi('/api/v1/schedules', { method: 'POST', json });
  const problemField = async (r: Response | Awaited<ReturnType<typeof post>>) => {
    const body = await r.json();
    return { status: r.status, field: body.errors?.[0]?.field ?? body.field, detail: body.detail };
  };

  it('refuses a save that could never fire, naming the field', async () => {
    const base = {
      name: 'bad',
      target_namespace: 'sched',
      target_name: 'tick',
      cron_expression: '* * * * *',
    };
    expect(await problemField(await post({ ...base, cron_expression: '61 * * * *' }))).to.include({
      status: 400,
      field: 'cron_expression',
    });
    expect(await problemField(await post({ ...base, timezone: 'Mars/Olympus' }))).to.include({
      status: 400,
      field: 'timezone',
    });
    expect(await problemField(await post({ ...base, target_name: 'nothing' }))).to.include({
      status: 400,
      field: 'target_name',
    });
    expect(
      await problemField(await post({ ...base, schedule_type: 'agent', target_name: 'bot' })),
    ).to.include({ status: 400, field: 'content' });
    expect(
      await problemField(await post({ ...base, schedule_type: 'agent', target_name: 'gone', content: 'x' })),
    ).to.include({ status: 400, field: 'target_name' });
  });

  it('targets any function or agent name: a function starting with _, an agent name with spaces', async () => {
    const code = 'def handler(input_data, context):\n    return 1\n';
    const fn = await userApi('/api/v1/functions', {
      method: 'POST',
      json: { namespace: '_sched', name: '_hidden', code },
    });
    expect(fn.status, await fn.clone().text()).to.equal(201);
    const agent = await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'sched', name: 'Morning Bot (EU)' },
    });
    expect(agent.status, await agent.clone().text()).to.equal(201);
    const yearly = { cron_expression: '0 0 1 1 *', is_active: false };
    const f = await post({ name: 'odd-fn', target_namespace: '_sched', target_name: '_hidden', ...yearly });
    expect(f.status, await f.clone().text()).to.equal(201);
    const a = await post({
      name: 'odd-agent',
      schedule_type: 'agent',
      target_namespace: 'sched',
      target_name: 'Morning Bot (EU)',
      content: 'hi',
      ...yearly,
    });
    expect(a.status, await a.clone().text()).to.equal(201);
    expect(await a.json()).to.include({ target_name: 'Morning Bot (EU)' });
  });

  it('answers a second schedule of a name in use with a 400 naming name', async () => {
    const body = {
      name: 'twice',
      target_namespace: 'sched',
      target_name: 'tick',
      cron_expression: '0 0 1 1 *',
    };
    expect((await post(body)).status).to.equal(201);
    expect(await problemField(await post(body))).to.include({ status: 400, field: 'name' });
    expect((await userApi('/api/v1/schedules/twice', { method: 'DELETE' })).status).to.equal(204);
  });

  it('is a section of the declarative config with the reference fields, idempotent, checked and round-tripping', async () => {
    const doc = (items: string[]) =>
      ['apiVersion: sinas.co/v1', 'kind: SinasConfig', 'metadata: { name: sch }', 'spec:', '  schedules:']
        .concat(items)
        .join('\n');
    const config = async (action: string, yaml: string) =>
      (await t.api(`/api/v1/config/${action}`, { method: 'POST', json: { config: yaml } })).json();
    const bad = await config(
      'validate',
      doc([
        '    - { name: c-none, functionName: sched/missing, cronExpression: "0 0 1 1 *" }',
        '    - { name: c-ghost, scheduleType: agent, agentName: sched/ghost, content: hi, cronExpression: "0 0 1 1 *" }',
        '    - { name: c-mute, scheduleType: agent, agentName: sched/bot, cronExpression: "0 0 1 1 *" }',
        '    - { name: c-mixed, functionName: sched/tick, agentName: sched/bot, cronExpression: "0 0 1 1 *" }',
      ]),
    );
    expect(bad.valid).to.equal(false);
    expect(bad.errors.map((e: { path: string }) => e.path)).to.have.members([
      'spec.schedules[0].functionName',
      'spec.schedules[1].agentName',
      'spec.schedules[2].content',
      'spec.schedules[3].agentName',
    ]);
    const good = doc([
      '    - name: c-fn',
      '      functionName: sched/tick',
      '      cronExpression: "0 3 * * *"',
      '      timezone: Europe/Amsterdam',
      '      inputData: { from: config }',
      '      isActive: false',
      '    - name: c-agent',
      '      scheduleType: agent',
      '      agentName: sched/bot',
      '      content: good morning',
      '      cronExpression: "0 0 1 1 *"',
      '      isActive: false',
    ]);
    const applied = await config('apply', good);
    expect(applied.success, JSON.stringify(applied)).to.equal(true);
    expect(applied.summary.created).to.deep.equal({ schedule: 2 });
    const fn = await (await t.api('/api/v1/schedules/c-fn')).json();
    expect(fn).to.include({
      schedule_type: 'function',
      target_namespace: 'sched',
      target_name: 'tick',
      timezone: 'Europe/Amsterdam',
      is_active: false,
    });
    expect(fn.input_data).to.deep.equal({ from: 'config' });
    const agent = await (await t.api('/api/v1/schedules/c-agent')).json();
    expect(agent).to.include({ schedule_type: 'agent', target_name: 'bot', content: 'good morning' });
    expect((await config('apply', good)).summary.unchanged).to.deep.equal({ schedule: 2 });
    const exported = await (await t.api('/api/v1/config/export')).text();
    expect(exported).to.include('functionName: sched/tick').and.to.include('agentName: sched/bot');
    const back = await config('apply', exported);
    expect(back.success, JSON.stringify(back)).to.equal(true);
    const changed = back.changes.filter((c: { action: string }) => c.action !== 'unchanged');
    expect(changed, JSON.stringify(changed)).to.deep.equal([]);
  });

  it('serves the lifecycle with next_run in the zone, and last_run once a tick fired', async () => {
    const r = await post({
      name: 'nightly',
      target_namespace: 'sched',
      target_name: 'tick',
      cron_expression: '30 2 * * *',
      timezone: 'Europe/Amsterdam',
    });
    expect(r.status).to.equal(201);
    const made = await r.json();
    expect(made).to.include({
      name: 'nightly',
      schedule_type: 'function',
      timezone: 'Europe/Amsterdam',
      is_active: true,
      last_run: null,
    });
    const local = new Intl.DateTimeFormat('en-GB', {
      timeZone: 'Europe/Amsterdam',
      hour: '2-digit',
      minute: '2-digit',
    }).format(new Date(made.next_run));
    expect(local).to.equal('02:30');
    const paused = await userApi('/api/v1/schedules/nightly', {
      method: 'PATCH',
      json: { is_active: false },
    });
    expect(paused.status).to.equal(200);
    expect((await paused.json()).next_run).to.equal(null);
    const list = await (await userApi('/api/v1/schedules')).json();
    expect(list.map((s: { name: string }) => s.name)).to.include('nightly');
    // someone else's schedule does not exist for another user
    const other = await userKey(t, 'bystander');
    expect((await t.api('/api/v1/schedules/nightly', { headers: { 'x-api-key': other } })).status).to.equal(
      404,
    );
    expect((await userApi('/api/v1/schedules/nightly', { method: 'DELETE' })).status).to.be.oneOf([200, 204]);
    expect((await userApi('/api/v1/schedules/nightly')).status).to.equal(404);
  });

  it('a function schedule runs its function as the owner, with trigger SCHEDULE', async () => {
    const made = await (
      await post({
        name: 'every-second-fn',
        target_namespace: 'sched',
        target_name: 'tick',
        cron_expression: '* * * * * *',
        input_data: { from: 'schedule' },
      })
    ).json();
    let runs: { trigger_id: string; user_id: string; input_data: unknown; function_name: string }[] = [];
    await until('a scheduled execution', async () => {
      runs = await (await userApi('/executions?trigger_type=SCHEDULE')).json();
      return runs.some((e) => e.trigger_id === made.id);
    });
    const run = runs.find((e) => e.trigger_id === made.id)!;
    expect(run).to.include({ user_id: userId });
    await userApi('/api/v1/schedules/every-second-fn', { method: 'PATCH', json: { is_active: false } });
    const shown = await (await userApi('/api/v1/schedules/every-second-fn')).json();
    expect(shown.last_run).to.be.a('string');
    expect(shown.last_status).to.be.oneOf(['fired', 'claimed']);
  });

  it('an agent schedule starts a chat titled "<name> — YYYY-MM-DD HH:MM" and runs its turn as the owner', async () => {
    await post({
      name: 'daily-digest',
      schedule_type: 'agent',
      target_namespace: 'sched',
      target_name: 'bot',
      content: 'hello from the schedule',
      cron_expression: '* * * * * *',
      timezone: 'America/New_York',
    });
    type Chat = { id: string; title: string };
    let chats: Chat[] = [];
    await until('a scheduled chat', async () => {
      chats = await (await userApi('/chats')).json();
      return chats.some((c) => c.title.startsWith('daily-digest — '));
    });
    await userApi('/api/v1/schedules/daily-digest', { method: 'PATCH', json: { is_active: false } });
    const chat = chats.find((c) => c.title.startsWith('daily-digest — '))!;
    expect(chat.title).to.match(/^daily-digest — \d{4}-\d{2}-\d{2} \d{2}:\d{2}$/);
    await until('the scheduled turn to complete', async () => {
      const c = await (await userApi(`/chats/${chat.id}`)).json();
      return c.turns?.[0]?.status === 'completed';
    });
    const full = await (await userApi(`/chats/${chat.id}`)).json();
    expect(full.messages.map((m: { role: string; content: string }) => [m.role, m.content])[0]).to.deep.equal(
      ['user', 'hello from the schedule'],
    );
    expect(full.messages.at(-1).role).to.equal('assistant');
  });

  it('a schedule whose owner lost the right fails its tick, with the reason shown', async () => {
    const key = await userKey(t, 'demoted');
    const demotedId = await ensureUser(t, 'demoted@example.com');
    const api = (path: string, init: { method?: string; json?: unknown } = {}) =>
      t.api(path, { ...init, headers: { 'x-api-key': key } });
    const code = 'def handler(input_data, context):\n    return 1\n';
    expect(
      (await api('/api/v1/functions', { method: 'POST', json: { namespace: 'dem', name: 'f', code } }))
        .status,
    ).to.equal(201);
    const made = await api('/api/v1/schedules', {
      method: 'POST',
      json: {
        name: 'demoted-tick',
        target_namespace: 'dem',
        target_name: 'f',
        cron_expression: '* * * * * *',
        is_active: false,
      },
    });
    expect(made.status).to.equal(201);
    const removed = await t.api(`/api/v1/roles/Users/members/${demotedId}`, { method: 'DELETE' });
    expect(removed.status).to.be.oneOf([200, 204]);
    // an administrator turns it on: the tick runs as the owner, who may no longer execute
    const on = await t.api('/api/v1/schedules/demoted-tick', { method: 'PATCH', json: { is_active: true } });
    expect(on.status).to.equal(200);
    let shown: { last_status: string | null; last_error: string | null } = {
      last_status: null,
      last_error: null,
    };
    await until('a refused tick', async () => {
      shown = await (await t.api('/api/v1/schedules/demoted-tick')).json();
      return shown.last_status === 'failed';
    });
    await t.api('/api/v1/schedules/demoted-tick', { method: 'PATCH', json: { is_active: false } });
    expect(shown.last_error).to.match(/not permitted to execute function 'dem\/f'/);
    await executionsCaughtUp(t); // so that a run the tick had requested would be listed
    const runs = await (await t.api('/executions?trigger_type=SCHEDULE&limit=1000')).json();
    expect(runs.filter((e: { user_id: string }) => e.user_id === demotedId)).to.have.length(0);
  });
});
