/**
 * The input limits over HTTP (README "Input limits"): each bad input the fuzzer found as a 500 is a
 * 400 naming its field, and changes nothing; what a function returns or prints comes back exactly,
 * NUL and lone surrogates included.
 */
import { expect } from 'chai';
import { ensureUser, startTestPlatform, type JsonResponse, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';

const TEXTS = `
def handler(input_data, context):
    print("before\\x00after", "x\\ud800y")
    return {"nul": "a\\x00b", "lone": "x\\ud800y", "pair": "\\U0001F600", "marker": "\\ufdd0~0", "k\\x00": [1]}
`;
const EXPECTED = { nul: 'a\u0000b', lone: 'x\ud800y', pair: '\u{1F600}', marker: '\ufdd0~0', 'k\u0000': [1] };

describe('input limits', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  before(async () => {
    t = await startTestPlatform();
  });
  after(async () => t?.stop());

  const raw = (path: string, body: string, init: RequestInit = {}) =>
    t.api(path, {
      method: 'POST',
      body,
      ...init,
      headers: { 'content-type': 'application/json', ...init.headers },
    });
  const problem = async (r: JsonResponse, status: number, field: string) => {
    const text = r.bodyUsed ? '(an event stream)' : await r.text();
    expect(r.status, text).to.equal(status);
    const p = JSON.parse(text);
    expect(p.field).to.equal(field);
    return p as { detail: string };
  };

  it('refuses JSON nested 10,000 deep with a 400 naming the field, and 64 deep is fine', async () => {
    const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);
    const p = await problem(
      await raw('/api/v1/agents', `{"name":"deep","input_schema":${deep(10_000)}}`),
      400,
      'input_schema.0.0.0.0.0.0.0.…',
    );
    expect(p.detail).to.contain('nested deeper than 64');
    await problem(await raw('/api/v1/agents', deep(10_000)), 400, '0.0.0.0.0.0.0.0.…');
    const ok = await raw(
      '/api/v1/agents',
      `{"name":"shallow","namespace":"lim","input_schema":{"type":"object","examples":${deep(60)}}}`,
    );
    expect(ok.status, await ok.clone().text()).to.equal(201);
  });

  it('checks each body against its schema: wrong types, bad dates and strings for booleans are 400s', async () => {
    await problem(await t.api('/api/v1/users', { method: 'POST', json: { email: 123 } }), 400, 'email');
    await problem(
      await t.api('/api/v1/api-keys', { method: 'POST', json: { name: 'k', expires_at: 'not-a-date' } }),
      400,
      'expires_at',
    );
    await problem(
      await t.api('/api/v1/api-keys', {
        method: 'POST',
        json: { name: 'k', expires_at: '2030-12-31T23:59:60Z' },
      }),
      400,
      'expires_at',
    );
    const id = await ensureUser(t, 'still-active@example.com');
    await problem(
      await t.api(`/api/v1/users/${id}`, { method: 'PATCH', json: { active: 'false' } }),
      400,
      'active',
    );
    expect((await (await t.api(`/api/v1/users/${id}`)).json()).active).to.equal(true);
    await problem(
      await t.api('/api/v1/roles', { method: 'POST', json: { name: 'r'.repeat(300_000) } }),
      400,
      'name',
    );
    await problem(await t.api('/auth/check-permissions', { method: 'POST', json: {} }), 400, 'permissions');
  });

  it('refuses numbers a field cannot hold in queries and bodies, naming the field', async () => {
    await problem(await t.api('/api/v1/agents?skip=1e20'), 400, 'skip');
    await problem(await t.api('/api/v1/roles/Admins?version=9007199254740993'), 400, 'version');
    await problem(await t.api('/chats?limit=0x10'), 400, 'limit');
    await problem(await t.api('/api/v1/audit/events?after=9999999999999999999'), 400, 'after');
    const chat = await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'lim', name: 'a' } });
    expect(chat.status).to.equal(201);
    await problem(await raw('/agents/lim/a/chats', '{"expires_in":1e20}'), 400, 'expires_in');
    await problem(await raw('/agents/lim/a/chats', '{"expires_in":9007199254740991}'), 400, 'expires_in');
  });

  it('refuses NUL and lone surrogates where they would be stored, naming the field', async () => {
    const p = await problem(
      await t.api('/api/v1/agents', { method: 'POST', json: { name: 'nul', description: 'a\u0000b' } }),
      400,
      'description',
    );
    expect(p.detail).to.contain('NUL');
    await problem(
      await raw('/api/v1/roles', '{"name":"Lone","description":"x\\ud800y"}'),
      400,
      'description',
    );
    await problem(await raw('/api/v1/roles', '{"name":"Key","a\\u0000b":1}'), 400, 'a\\u0000b');
    await problem(await t.api('/api/v1/users/a%00b'), 400, 'user_id');
    await problem(await t.api('/api/v1/users?search=a%00b'), 400, 'search');
    expect((await t.api('/api/v1/agents/default/nul')).status).to.equal(404);
  });

  it('refuses a YAML alias bomb and NUL in YAML as config issues, not a 500', async () => {
    const bomb = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
      .concat(
        'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefgh'[i]}`).join(',')}]`),
      )
      .join('\n');
    for (const text of [bomb, 'apiVersion: "a\\0b"\n']) {
      const r = await t.api('/api/v1/config/validate', {
        method: 'POST',
        body: text,
        headers: { 'content-type': 'application/yaml' },
      });
      expect(r.status).to.equal(200);
      const report = await r.json();
      expect(report.valid).to.equal(false);
      expect(report.errors.map((e: { message: string }) => e.message).join()).to.match(/alias|NUL/);
    }
  });

  it('checks the Last-Event-ID and Idempotency-Key headers', async () => {
    await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'lim', name: 'headers' } });
    const chat = await (await t.api('/agents/lim/headers/chats', { method: 'POST', json: {} })).json();
    const events = await t.api(`/chats/${chat.id}/events`, {
      headers: { 'last-event-id': '99999999999999999999999' },
    });
    if (events.status === 200) await events.body?.cancel(); // an event stream: never ends by itself
    await problem(events, 400, 'Last-Event-ID');
    await problem(
      await t.api('/api/v1/roles', {
        method: 'POST',
        json: { name: 'Idem' },
        headers: { 'idempotency-key': 'cl\u00e9' },
      }),
      400,
      'Idempotency-Key',
    );
    expect((await t.api('/api/v1/roles/Idem')).status).to.equal(404);
  });

  it('gives back what a function returned and printed, NUL and lone surrogates included', async () => {
    const created = await t.api('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'lim', name: 'texts', code: TEXTS, input_schema: { type: 'object' } },
    });
    expect(created.status, await created.clone().text()).to.equal(201);
    const sync = await (
      await t.api('/functions/lim/texts/execute', { method: 'POST', json: { input: {} } })
    ).json();
    expect(sync.status, JSON.stringify(sync)).to.equal('success');
    expect(sync.result).to.deep.equal(EXPECTED);
    const detail = await (await t.api(`/executions/${sync.execution_id}`)).json();
    expect(detail.status).to.equal('COMPLETED');
    expect(detail.output_data).to.deep.equal(EXPECTED);
    expect(detail.stdout).to.equal('before\u0000after x\ud800y\n');
    // the list is the read model, which follows the event stream
    let listed: { output_data: unknown; stdout: string }[] = [];
    await until('the execution is listed', async () => {
      listed = await (await t.api('/executions?function_name=lim/texts&status=COMPLETED')).json();
      return listed.length === 1;
    });
    expect(listed[0]!.output_data).to.deep.equal(EXPECTED);
    expect(listed[0]!.stdout).to.equal('before\u0000after x\ud800y\n');
  });
});
