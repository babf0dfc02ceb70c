/**
 * The analyst schema: a scripted workload through the real platform (tool calls, an approval and a
 * rejection, plain chats), then every `analytics` view checked against what happened; a login role
 * in `sinas_analyst` reads the views and nothing else; a rebuild of `chats` leaves the views
 * answering, bound to the new tables; the role is created idempotently, concurrently, or skipped
 * with a warning when the database user may not create roles.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { ANALYST_ROLE, ensureAnalystRole, installAnalytics } from '../../src/projections/analytics.js';
import { ANALYTICS_VIEWS } from '../../src/projections/analytics-views.js';
import { chatsProjection } from '../../src/projections/chats.js';
import { platformProjections } from '../../src/runtime/kinds.js';
import { rebuildProjection } from '../../src/projections/rebuild.js';
import { migrate } from '../../src/runtime/migrate.js';
import { serverUrl, testPool } from '../support/pg.js';
import { startScriptedLlm, type RecordedRequest, type ScriptStep } from '../support/scripted-llm.js';
import { startTestPlatform, useProvider, type TestPlatform } from '../support/platform.js';

const REFUND = `
def handler(input_data, context):
    return {"refunded": input_data["amount"]}
`;
const LOOKUP = `
def handler(input_data, context):
    return {"city": input_data["city"], "temp": 21}
`;

const words = (s: string) => s.split(/\s+/).filter(Boolean).length;

/** What the scripted LLM reports as usage for one request answered by one step (its own rule). */
function usageOf(request: RecordedRequest, step: ScriptStep) {
  const messages = request.messages as { content: unknown }[];
  const prompt = messages.reduce((n, m) => n + (typeof m.content === 'string' ? words(m.content) : 0), 0);
  const completion =
    'text' in step
      ? words(step.text)
      : 'toolCalls' in step
        ? words(step.toolCalls.map((c) => JSON.stringify(c.arguments)).join(' '))
        : 0;
  return { prompt, completion };
}

/** a pool connected as `user` to the database at `url` */
function poolAs(url: string, user: string, password: string): pg.Pool {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return testPool(u.toString(), 2);
}

async function until<T>(what: string, get: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('analyst schema', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let llm: Awaited<ReturnType<typeof startScriptedLlm>>;
  let pool: pg.Pool;
  let adminId: string;
  let adminEmail: string;
  const chats: Record<'approved' | 'rejected' | 'plain', string> = { approved: '', rejected: '', plain: '' };
  const expected = new Map<string, { replies: number; prompt: number; completion: number }>();
  const analyst = `analyst_${randomUUID().slice(0, 8)}`;
  const extraRoles: string[] = [];
  const server = new pg.Pool({ connectionString: serverUrl(), max: 2 });

  /** One turn: scripts the steps, posts, decides a pending approval after `decideAfterMs`, waits for the end. */
  async function turn(
    agent: string,
    chatId: string,
    content: string,
    steps: ScriptStep[],
    decide?: { toolCallId: string; approved: boolean; reason: string },
  ): Promise<void> {
    const from = llm.requests.length;
    llm.script(steps);
    const r = await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content } });
    expect(r.status).to.equal(200);
    if (decide) {
      expect((await r.json()).status).to.equal('awaiting_approval');
      await new Promise((res) => setTimeout(res, 40)); // the approver takes a moment
      const d = await t.api(`/chats/${chatId}/approve-tool/${decide.toolCallId}`, {
        method: 'POST',
        json: { approved: decide.approved, reason: decide.reason },
      });
      expect(d.status).to.equal(202);
    }
    await until('the turn to complete', async () => {
      const c = await (await t.api(`/chats/${chatId}`)).json();
      return c.turns.every((x: { status: string }) => x.status === 'completed') ? true : undefined;
    });
    const sum = expected.get(agent) ?? { replies: 0, prompt: 0, completion: 0 };
    steps.forEach((step, i) => {
      const u = usageOf(llm.requests[from + i]!, step);
      sum.replies++;
      sum.prompt += u.prompt;
      sum.completion += u.completion;
    });
    expected.set(agent, sum);
  }

  const newChat = async (agent: string) =>
    (await (await t.api(`/agents/shop/${agent}/chats`, { method: 'POST', json: {} })).json()).id as string;

  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    pool = t.platform.services.pool;
    await useProvider(t, llm.url, 'm');
    const fn = (name: string, code: string, props: object, extra: object = {}) =>
      t.api('/api/v1/functions', {
        method: 'POST',
        json: {
          namespace: 'shop',
          name,
          code,
          input_schema: { type: 'object', properties: props },
          ...extra,
        },
      });
    expect(
      (await fn('refund', REFUND, { amount: { type: 'number' } }, { requires_approval: true })).status,
    ).to.equal(201);
    expect((await fn('lookup', LOOKUP, { city: { type: 'string' } })).status).to.equal(201);
    const agent = (json: object) =>
      t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'shop', ...json } });
    expect(
      (await agent({ name: 'helper', enabled_functions: ['shop/refund', 'shop/lookup'] })).status,
    ).to.equal(201);
    expect((await agent({ name: 'plain', model: 'unpriced' })).status).to.equal(201);

    chats.approved = await newChat('helper');
    await turn(
      'helper',
      chats.approved,
      'refund my order and tell me the weather',
      [
        {
          toolCalls: [
            { id: 'call_refund', name: 'shop__refund', arguments: { amount: 12.5 } },
            { id: 'call_lookup', name: 'shop__lookup', arguments: { city: 'Oslo' } },
          ],
        },
        { text: 'Refunded 12.5 and it is 21 degrees in Oslo.' },
      ],
      { toolCallId: 'call_refund', approved: true, reason: 'customer was double charged' },
    );
    chats.rejected = await newChat('helper');
    await turn(
      'helper',
      chats.rejected,
      'refund 99 please',
      [
        { toolCalls: [{ id: 'call_big', name: 'shop__refund', arguments: { amount: 99 } }] },
        { text: 'I could not refund that.' },
      ],
      { toolCallId: 'call_big', approved: false, reason: 'over the limit' },
    );
    chats.plain = await newChat('plain');
    await turn('plain', chats.plain, 'hello', [{ text: 'Hello there, how can I help?' }]);
    await turn('plain', chats.plain, 'nothing thanks', [{ text: 'Goodbye then.' }]);

    const chat = await (await t.api(`/chats/${chats.approved}`)).json();
    adminId = chat.user_id;
    adminEmail = (await (await t.api(`/api/v1/users/${adminId}`)).json()).email;
    await pool.query(`INSERT INTO analytics.model_prices VALUES ('m', 0.5, 1.5)`);
    await pool.query(`CREATE ROLE ${analyst} LOGIN PASSWORD 'analyst-pw' IN ROLE ${ANALYST_ROLE}`);
  });

  after(async () => {
    await t?.stop();
    await llm?.stop();
    for (const r of [analyst, ...extraRoles]) await server.query(`DROP ROLE IF EXISTS ${r}`);
    await server.end();
  });

  const rows = async (sql: string, params: unknown[] = []) => (await pool.query(sql, params)).rows;

  it('analytics.chats and analytics.messages count the messages and tokens of each chat', async () => {
    const byChat = Object.fromEntries(
      (await rows('SELECT * FROM analytics.chats')).map((r) => [r.chat_id as string, r]),
    );
    expect(Object.keys(byChat)).to.have.members(Object.values(chats));
    expect(byChat[chats.approved]).to.include({
      agent_namespace: 'shop',
      agent_name: 'helper',
      agent_version: '1', // a freshly created agent: versions count from 1
      user_id: adminId,
      message_count: '5', // the user's, the reply with two calls, two tool results, the final reply
      user_message_count: '1',
      assistant_message_count: '2',
      tool_message_count: '2',
      turn_count: '1',
    });
    expect(byChat[chats.plain]).to.include({
      message_count: '4',
      assistant_message_count: '2',
      turn_count: '2',
    });
    const messages = await rows(
      'SELECT role, tool_call_count, tool_name, agent_version FROM analytics.messages WHERE chat_id = $1 ORDER BY chat_revision, created_at',
      [chats.approved],
    );
    expect(messages.map((m) => m.role)).to.deep.equal(['user', 'assistant', 'tool', 'tool', 'assistant']);
    expect(messages.filter((m) => m.role === 'assistant').map((m) => m.agent_version)).to.deep.equal([
      '1',
      '1',
    ]);
    expect(messages[1]!.tool_call_count).to.equal(2);
    expect(messages.filter((m) => m.role === 'tool').map((m) => m.tool_name)).to.have.members([
      'shop__refund',
      'shop__lookup',
    ]);
    const turns = await rows('SELECT * FROM analytics.turns WHERE chat_id = $1', [chats.plain]);
    expect(turns).to.have.length(2);
    for (const x of turns) {
      expect(x).to.include({ status: 'completed', model: 'unpriced' });
      expect(Number(x.duration_ms)).to.be.at.least(0);
    }
  });

  it('analytics.token_usage_daily sums tokens per agent, model, user and day; cost only where priced', async () => {
    const usage = await rows(
      'SELECT *, day::text AS day FROM analytics.token_usage_daily ORDER BY agent_name',
    );
    const today = new Date().toISOString().slice(0, 10);
    expect(usage.map((u) => [u.agent_name, u.model, u.user_id])).to.deep.equal([
      ['helper', 'm', adminId],
      ['plain', 'unpriced', adminId],
    ]);
    for (const u of usage) {
      const e = expected.get(u.agent_name as string)!;
      expect(u.day).to.equal(today);
      expect({
        replies: Number(u.replies),
        prompt: Number(u.prompt_tokens),
        completion: Number(u.completion_tokens),
        total: Number(u.total_tokens),
      }).to.deep.equal({ ...e, total: e.prompt + e.completion });
    }
    const helper = expected.get('helper')!;
    expect(Number(usage[0]!.cost)).to.be.closeTo(
      (helper.prompt * 0.5 + helper.completion * 1.5) / 1000,
      1e-9,
    );
    expect(usage[1]!.cost).to.equal(null);
    const perChat = await rows(
      'SELECT sum(total_tokens)::int AS n FROM analytics.chats WHERE agent_name = $1',
      ['helper'],
    );
    expect(perChat[0]!.n).to.equal(helper.prompt + helper.completion);
  });

  it('analytics.tool_calls, approvals and approval_latency_daily: who decided, why, and how long it took', async () => {
    const calls = await rows('SELECT * FROM analytics.tool_calls ORDER BY tool_call_id');
    expect(
      calls.map((c) => [c.tool_call_id, c.requires_approval, c.approval_status, c.status]),
    ).to.deep.equal([
      ['call_big', true, 'rejected', 'rejected'],
      ['call_lookup', false, 'none', 'ok'],
      ['call_refund', true, 'approved', 'ok'],
    ]);
    const approvals = await rows('SELECT * FROM analytics.approvals ORDER BY tool_call_id');
    expect(approvals.map((a) => [a.tool_call_id, a.status, a.approved, a.reason])).to.deep.equal([
      ['call_big', 'rejected', false, 'over the limit'],
      ['call_refund', 'approved', true, 'customer was double charged'],
    ]);
    for (const a of approvals) {
      expect(a).to.include({ approver_id: adminId, approver_email: adminEmail, function_name: 'refund' });
      expect(Number(a.latency_ms)).to.be.at.least(40); // it waited for the approver
      expect(Number(a.latency_ms)).to.equal(
        (a.decided_at as Date).getTime() - (a.requested_at as Date).getTime(),
      );
    }
    const [daily, ...more] = await rows('SELECT * FROM analytics.approval_latency_daily');
    expect(more).to.have.length(0);
    expect(daily).to.include({
      function_namespace: 'shop',
      function_name: 'refund',
      requested: '2',
      decided: '2',
      approved: '1',
      rejected: '1',
      pending: '0',
    });
    expect(Number(daily!.max_latency_ms)).to.equal(Math.max(...approvals.map((a) => Number(a.latency_ms))));
  });

  it('analytics.executions: the runs of the tool calls, with trigger, status and durations', async () => {
    const executions = await until('both executions to be projected as completed', async () => {
      const r = await rows('SELECT * FROM analytics.executions ORDER BY function_name');
      return r.length === 2 && r.every((e) => e.status === 'COMPLETED') ? r : undefined;
    });
    expect(executions.map((e) => [e.function_name, e.trigger_type, e.chat_id, e.tool_call_id])).to.deep.equal(
      [
        ['lookup', 'AGENT', chats.approved, 'call_lookup'],
        ['refund', 'AGENT', chats.approved, 'call_refund'],
      ],
    );
    // freshly created functions: versions count from 1
    expect(executions.map((e) => e.function_version)).to.deep.equal(['1', '1']);
    for (const e of executions) {
      expect(e.duration_ms).to.be.at.least(0);
      expect(Number(e.wall_ms)).to.be.at.least(0);
      expect(Number(e.queued_ms)).to.be.at.least(0);
      expect(Number(e.wall_ms)).to.equal(
        (e.completed_at as Date).getTime() - (e.started_at as Date).getTime(),
      );
    }
  });

  it('a login role in sinas_analyst reads every view, and no table; it writes nothing', async () => {
    const as = poolAs(t.db.url, analyst, 'analyst-pw');
    try {
      for (const v of ANALYTICS_VIEWS) {
        const { rows: r } = await as.query(`SELECT * FROM analytics.${v.name}`);
        expect(r.length, v.name).to.be.greaterThan(0);
      }
      expect((await as.query('SELECT * FROM analytics.model_prices')).rows).to.have.length(1);
      const denied = async (sql: string) => {
        const err = await as.query(sql).then(
          () => undefined,
          (e: { code?: string }) => e,
        );
        expect(err?.code, sql).to.equal('42501'); // insufficient_privilege
      };
      await denied('SELECT * FROM chats');
      await denied('SELECT * FROM es_events');
      await denied('SELECT * FROM api_keys');
      await denied('SELECT * FROM secrets');
      await denied('SELECT * FROM refresh_tokens');
      await denied(`INSERT INTO analytics.model_prices VALUES ('x', 1, 1)`);
      await denied(`UPDATE analytics.model_prices SET prompt_per_1k = 0`);
      await denied(`UPDATE chats SET title = 'x'`);
      await denied(`DELETE FROM es_events`);
      await denied('CREATE TABLE analytics.mine (x int)');
      await denied('CREATE TABLE public.mine (x int)');
      await denied(`CREATE OR REPLACE VIEW analytics.chats AS SELECT 1 AS x`);
      // no table of the database is readable to the role, whatever its name
      const readable = await rows(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND has_table_privilege($1, c.oid, 'SELECT') ORDER BY 1`,
        [analyst],
      );
      expect(readable.map((r) => r.relname)).to.have.members([
        ...ANALYTICS_VIEWS.map((v) => v.name),
        'model_prices',
      ]);
      const writable = await rows(
        `SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND has_table_privilege($1, c.oid, 'INSERT, UPDATE, DELETE, TRUNCATE')`,
        [analyst],
      );
      expect(writable).to.deep.equal([]);
    } finally {
      await as.end();
    }
  });

  it('rebuilding chats swaps its tables; the views answer the same, read the new tables, and stay granted', async () => {
    const snapshot = async () => ({
      chats: await rows('SELECT * FROM analytics.chats ORDER BY chat_id'),
      messages: await rows('SELECT * FROM analytics.messages ORDER BY message_id'),
      approvals: await rows('SELECT * FROM analytics.approvals ORDER BY tool_call_id'),
      usage: await rows('SELECT * FROM analytics.token_usage_daily ORDER BY agent_name'),
    });
    const before = await snapshot();
    const oid = async () => (await rows(`SELECT 'chat_messages'::regclass::oid AS oid`))[0]!.oid as number;
    const oldOid = await oid();
    const result = await rebuildProjection(pool, t.platform.services.eventStore, chatsProjection);
    expect(result.events).to.be.greaterThan(0);
    expect(await oid()).to.not.equal(oldOid); // new tables are live
    expect(await snapshot()).to.deep.equal(before);
    const deps = await rows(
      `SELECT DISTINCT d.refobjid::regclass::text AS t FROM pg_depend d JOIN pg_rewrite w ON w.oid = d.objid
        WHERE w.ev_class = 'analytics.messages'::regclass AND d.refclassid = 'pg_class'::regclass
          AND d.refobjid <> w.ev_class`,
    );
    expect(deps.map((d) => d.t)).to.have.members(['chat_messages', 'chats']);

    // the runners write the swapped-in tables, and the views see it
    await turn('plain', chats.plain, 'one more', [{ text: 'Sure.' }]);
    const plain = await rows('SELECT message_count FROM analytics.chats WHERE chat_id = $1', [chats.plain]);
    expect(plain[0]!.message_count).to.equal('6');

    const as = poolAs(t.db.url, analyst, 'analyst-pw');
    try {
      const r = await as.query('SELECT count(*)::int AS n FROM analytics.messages WHERE chat_id = $1', [
        chats.plain,
      ]);
      expect(r.rows[0].n).to.equal(6);
    } finally {
      await as.end();
    }
  });

  it('a new projection version that retypes a column the views read: the swap recreates them, still granted', async () => {
    const retyped = {
      ...chatsProjection,
      version: chatsProjection.version + 1,
      createTables: (t: Record<string, string>) =>
        chatsProjection.createTables(t).replace('title text NOT NULL', 'title varchar(500) NOT NULL'),
    };
    await rebuildProjection(pool, t.platform.services.eventStore, retyped);
    const type = await rows(
      `SELECT data_type FROM information_schema.columns WHERE table_schema = 'analytics' AND table_name = 'chats' AND column_name = 'title'`,
    );
    expect(type[0]!.data_type).to.equal('character varying');
    const as = poolAs(t.db.url, analyst, 'analyst-pw');
    try {
      const r = await as.query('SELECT chat_id FROM analytics.chats');
      expect(r.rows.map((x) => x.chat_id)).to.have.members(Object.values(chats));
      const usage = await as.query('SELECT count(*)::int AS n FROM analytics.token_usage_daily');
      expect(usage.rows[0].n).to.equal(2);
    } finally {
      await as.end();
    }
  });

  it('installing again, from several processes at once, changes nothing and fails nothing', async () => {
    const role = `sinas_analyst_${randomUUID().slice(0, 8)}`;
    extraRoles.push(role);
    const pools = [0, 1, 2, 3].map(() => testPool(t.db.url, 2));
    try {
      const log = { warn: () => expect.fail('no warning expected') };
      await Promise.all(pools.map((p) => installAnalytics(p, platformProjections(), { role, log })));
      const created = await server.query('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [role]);
      expect(created.rows).to.deep.equal([{ rolcanlogin: false }]);
      const granted = await rows(`SELECT has_table_privilege($1, 'analytics.approvals', 'SELECT') AS ok`, [
        role,
      ]);
      expect(granted[0]!.ok).to.equal(true);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  it('a database user without CREATEROLE installs the views, warns, and skips the role', async () => {
    const owner = `sinas_app_${randomUUID().slice(0, 8)}`;
    const role = `sinas_analyst_${randomUUID().slice(0, 8)}`;
    const db = `t_${randomUUID().replace(/-/g, '').slice(0, 16)}`;
    extraRoles.push(owner);
    await server.query(`CREATE ROLE ${owner} LOGIN PASSWORD 'app-pw' NOSUPERUSER NOCREATEROLE`);
    await server.query(`CREATE DATABASE ${db} OWNER ${owner}`);
    const u = new URL(t.db.url);
    u.pathname = `/${db}`;
    const app = poolAs(u.toString(), owner, 'app-pw');
    try {
      await migrate(app);
      const warnings: string[] = [];
      await installAnalytics(app, platformProjections(), {
        role,
        log: { warn: (_o: unknown, m?: string) => void warnings.push(m ?? '') },
      });
      expect(warnings).to.have.length(1);
      expect(warnings[0]).to.contain('CREATEROLE').and.to.contain(`CREATE ROLE ${role} NOLOGIN`);
      expect((await server.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount).to.equal(0);
      const views = await app.query(`SELECT count(*)::int AS n FROM pg_views WHERE schemaname = 'analytics'`);
      expect(views.rows[0].n).to.equal(ANALYTICS_VIEWS.length);
      expect(await ensureAnalystRole(app, role, { warn: () => {} })).to.equal(false);
    } finally {
      await app.end();
      await server.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    }
  });
});
