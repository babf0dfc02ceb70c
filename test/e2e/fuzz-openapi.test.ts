/**
 * The fuzzer: reads /api/openapi.json from a running platform and sends every operation bad input
 * (test/support/fuzz-inputs.ts): JSON nested 10,000 deep, huge and fractional numbers, NUL and
 * lone surrogates, wrong types, missing fields, 300k strings, YAML alias bombs, odd headers, as the
 * bootstrap admin so each request gets past auth. Each route with a path parameter gets a real
 * target, so the request reaches its handler. No response may be a 5xx, and the server must be
 * healthy after. Every 5xx is collected, with its route and input, so one run shows them all.
 * Every route the app registers is in the document and gets cases, so the fuzzer covers them all.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import {
  ADMIN_KEY,
  ensureUser,
  startTestPlatform,
  useProvider,
  type TestPlatform,
} from '../support/platform.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { casesOf, describeCase, seeded, type FuzzCase, type Targets } from '../support/fuzz-inputs.js';
import { operationsOf, unboundedIn } from '../support/fuzz-schemas.js';
import { toOpenApiPath } from '../../src/http/openapi.js';
import { userDatabase, type UserDatabase } from '../support/user-database.js';

const SEED = 20_250_612;
const PARALLEL = 4;
const CODE = 'def handler(input_data, context):\n    return input_data["x"]\n';
const COMPONENT = 'export default function C() { return null; }';

describe('fuzzing every route of /api/openapi.json', function () {
  this.timeout(30 * 60_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let db: UserDatabase; // what the database connection `fz` points at
  before(async () => {
    db = await userDatabase();
    llm = await startScriptedLlm(); // echoes: a turn the fuzzer starts ends well
    t = await startTestPlatform({
      SINAS_LOGIN_RATE_PER_IP: '1000000',
      SINAS_LOGIN_RATE_PER_EMAIL: '1000000',
      SINAS_VERIFY_RATE_PER_IP: '1000000',
      SINAS_SECURITY_EVENTS_PER_MINUTE: '100000',
      SINAS_WEBHOOK_ALLOWLIST: '127.0.0.1',
    });
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
    await db?.drop();
  });

  it('declares a bound for every string and integer a request may carry', async () => {
    const doc = await (await t.api('/api/openapi.json')).json();
    const unbounded = operationsOf(doc).flatMap((op) => [
      ...[...op.pathParams, ...op.query].flatMap((p) =>
        unboundedIn(p.schema, `${op.method} ${op.path} ${p.name}`),
      ),
      ...(op.body ? unboundedIn(op.body, `${op.method} ${op.path} body`) : []),
    ]);
    expect(unbounded, unbounded.join('\n')).to.deep.equal([]);
  });

  it('has cases for every route the app registers', async () => {
    const doc = await (await t.api('/api/openapi.json')).json();
    const ops = operationsOf(doc);
    const fuzzed = new Set(ops.map((op) => `${op.method} ${op.path}`));
    const registered = t.platform.routes.map((r) => `${r.method.toUpperCase()} ${toOpenApiPath(r.path)}`);
    expect(
      registered.filter((r) => !fuzzed.has(r)),
      'registered routes the fuzzer does not see',
    ).to.deep.equal([]);
    const anyTarget: Targets = { param: () => 'x', bodyOverrides: () => undefined };
    const caseless = ops.filter((op) => casesOf(op, anyTarget, seeded(SEED)).length === 0);
    expect(
      caseless.map((op) => `${op.method} ${op.path}`),
      'routes without a case',
    ).to.deep.equal([]);
  });

  it('answers every bad input with a 4xx, never a 5xx, and stays healthy', async () => {
    const doc = await (await t.api('/api/openapi.json')).json();
    await useProvider(t, llm.url);
    const targets = await makeTargets(t, llm.url, db.fields);
    const random = seeded(SEED);
    const cases = operationsOf(doc).flatMap((op) => casesOf(op, targets, random));
    const failures: string[] = [];
    const log: string[] = [];
    const run = (c: FuzzCase) =>
      send(t, c).then(({ status, detail }) => {
        log.push(`${status}\t${describeCase(c)}\t${detail.slice(0, 200)}`);
        if (status >= 500 || status === 0)
          failures.push(`${status || 'no response'} ${describeCase(c)}\n      ${detail.slice(0, 300)}`);
      });
    // deletes last: they may remove the targets the other cases need
    await inParallel(
      cases.filter((c) => c.method !== 'DELETE'),
      PARALLEL,
      run,
    );
    await inParallel(
      cases.filter((c) => c.method === 'DELETE'),
      PARALLEL,
      run,
    );
    // FUZZ_LOG=<file>: every case with its status, to see what each input got
    if (process.env.FUZZ_LOG) writeFileSync(process.env.FUZZ_LOG, log.join('\n'));
    expect(cases.length, 'cases').to.be.greaterThan(1000);
    expect(
      failures,
      `${failures.length} of ${cases.length} requests (seed ${SEED}) got a 5xx:\n${failures.join('\n')}`,
    ).to.deep.equal([]);
    expect((await t.api('/health')).status).to.equal(200);
  });
});

/**
 * The platform's real objects for the routes' path parameters, and bodies that get past the schema.
 * `llmUrl`: the scripted model, which every provider the fuzzer makes points at.
 */
async function makeTargets(
  t: TestPlatform,
  llmUrl: string,
  database: UserDatabase['fields'],
): Promise<Targets> {
  const ok = async (path: string, json: unknown) => {
    const r = await t.api(path, { method: 'POST', json });
    if (r.status >= 300) throw new Error(`setting up ${path}: ${r.status} ${await r.text()}`);
    return r.json();
  };
  await ok('/api/v1/agents', { namespace: 'fz', name: 'fz' });
  await ok('/api/v1/functions', {
    namespace: 'fz',
    name: 'fz',
    code: CODE,
    input_schema: { type: 'object', required: ['x'], properties: { x: { type: 'integer' } } },
  });
  await ok('/api/v1/llm-providers', { name: 'fz', api_endpoint: llmUrl });
  await ok('/api/v1/roles', { name: 'fz' });
  // its proxy reaches the function and the store fz/fz (its page renders once compiled; pending is a 422)
  await ok('/api/v1/components', {
    namespace: 'fz',
    name: 'fz',
    source_code: COMPONENT,
    enabled_functions: ['fz/fz'],
    enabled_stores: [{ store: 'fz/fz', access: 'readwrite' }],
  });
  await ok('/api/v1/secrets', { name: 'fz', value: 'v' });
  // no operations: a fuzzed test call is a 400 (a real call to its closed port would be a 502, by design)
  await ok('/api/v1/connectors', { namespace: 'fz', name: 'fz', base_url: 'http://127.0.0.1:9' });
  // `fz` is fuzzed itself (a PATCH may break its login); the browser routes use `fzdb`, left intact
  await ok('/api/v1/database-connections', { name: 'fz', ...database });
  await ok('/api/v1/database-connections', { name: 'fzdb', ...database });
  await ok('/api/v1/database-connections/fzdb/tables', {
    table_name: 'fz',
    columns: [{ name: 'fz', type: 'text' }],
  });
  const fzdb = await (await t.api('/api/v1/database-connections/fzdb')).json();
  const trigger = {
    database_connection_id: fzdb.id,
    table_name: 'fz',
    poll_column: 'fz',
    function_namespace: 'fz',
    function_name: 'fz',
    is_active: false,
  };
  await ok('/api/v1/database-triggers', { name: 'fz', ...trigger });
  // encrypted: the fuzzed state writes seal and open values; `fz` is a state of the admin's in it
  await ok('/api/v1/stores', { namespace: 'fz', name: 'fz', encrypted: true });
  await ok('/stores/fz/fz/states', { key: 'fz', value: { fz: 1 } });
  const userId = await ensureUser(t, 'fuzz@example.com');
  const chat = await ok('/agents/fz/fz/chats', {});
  const reply = await ok(`/chats/${chat.id}/messages`, { content: 'hi' }); // a finished turn to resume
  const execution = await ok('/functions/fz/fz/execute/async', { input: { x: 1 } });
  const sub = await ok('/api/v1/event-subscriptions', { url: 'http://127.0.0.1:9/hook', active: false });
  const schedule = { target_namespace: 'fz', target_name: 'fz', cron_expression: '0 0 1 1 *' };
  await ok('/api/v1/schedules', { name: 'fz', ...schedule });
  const key = await ok('/api/v1/api-keys', { name: 'fz' });
  const byName: Record<string, string> = {
    chat_id: chat.id,
    execution_id: execution.execution_id,
    user_id: userId,
    key_id: key.id,
    id: sub.id,
    tool_call_id: 'call_fz',
    channel_id: reply.turn_id,
    namespace: 'fz',
    name: 'fz',
    model_id: 'fz',
    owner: 'agent:fz',
    file: 'react.js',
  };
  const overrides: Record<string, Record<string, unknown>> = {
    'POST /api/v1/agents': { namespace: 'fz', name: 'fz2' },
    'POST /api/v1/functions': { namespace: 'fz', name: 'fz2', code: CODE },
    'POST /api/v1/llm-providers': { name: 'fz2', api_endpoint: llmUrl },
    'POST /api/v1/roles': { name: 'fz2' },
    'POST /api/v1/database-connections': { name: 'fz2', ...database },
    'POST /api/v1/users': { email: 'fuzzed@example.com' },
    'POST /api/v1/event-subscriptions': { url: 'http://127.0.0.1:9/hook', active: false },
    'POST /api/v1/connectors': { namespace: 'fz', name: 'fz2', base_url: 'http://127.0.0.1:9' },
    'POST /api/v1/stores': { namespace: 'fz', name: 'fz2' },
    'POST /api/v1/components': { namespace: 'fz', name: 'fz2', source_code: COMPONENT },
    'POST /api/v1/database-triggers': { name: 'fz2', ...trigger },
    'POST /api/v1/schedules': { name: 'fz2', ...schedule },
    'POST /adapters/openai/v1/chat/completions': {
      model: 'fz/none',
      messages: [{ role: 'user', content: 'hi' }],
    },
    'POST /auth/login': { email: 'nobody@example.com' },
  };
  return {
    param: (path, name) =>
      name === 'name' && path.startsWith('/api/v1/database-connections/{name}/')
        ? 'fzdb'
        : encodeURIComponent(byName[name] ?? 'fz'),
    bodyOverrides: (method, path) => overrides[`${method} ${path}`],
  };
}

/** The response's status and body (an event stream's body is not read); status 0: no response at all. */
async function send(t: TestPlatform, c: FuzzCase): Promise<{ status: number; detail: string }> {
  const r = await fetch(`${t.url}${c.url}`, {
    method: c.method,
    headers: { 'x-api-key': ADMIN_KEY, ...c.headers },
    ...(c.body !== undefined && c.method !== 'GET' ? { body: c.body } : {}),
  }).catch((err: Error) => err);
  if (r instanceof Error) return { status: 0, detail: `${r.message} ${String(r.cause ?? '')}` };
  if ((r.headers.get('content-type') ?? '').includes('text/event-stream')) {
    await r.body?.cancel();
    return { status: r.status, detail: '(event stream)' };
  }
  return { status: r.status, detail: await r.text() };
}

async function inParallel<T>(items: readonly T[], n: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: n }, worker));
}
