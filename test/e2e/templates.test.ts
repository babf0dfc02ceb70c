/**
 * Templates and email (reference §5.12): the kind on the kit, the runtime render with
 * `variable_schema` checked (a 400 naming the variable) and the system prompts' Jinja settings
 * (autoescape, strict), email through a real SMTP server (smtp-server on 127.0.0.1), a 503 without
 * SMTP, a 502 when SMTP refuses and a 504 when it hangs (a loopback TCP server), and login's code
 * email rendered from an edited `otp_email` template.
 */
import { expect } from 'chai';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { startSmtp, type TestSmtp } from '../support/smtp.js';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';

const WELCOME = {
  namespace: 'mail',
  name: 'welcome',
  title: 'Welcome {{ name }}',
  html_content: '<p>Hello {{ name }}, you have {{ count }} new items</p>',
  text_content: 'Hello {{ name }}, you have {{ count }} new items',
  variable_schema: {
    type: 'object',
    required: ['name'],
    properties: { name: { type: 'string' }, count: { type: 'integer', default: 0 } },
  },
};

/** the raw message's body lines, quoted-printable soft breaks joined */
const bodyOf = (raw: string) => raw.replace(/=\r?\n/g, '');

describe('templates and email', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let smtp: TestSmtp;
  const post = (path: string, json: unknown, headers: Record<string, string> = {}) =>
    t.api(path, { method: 'POST', json, headers });

  before(async () => {
    smtp = await startSmtp();
    t = await startTestPlatform({ SMTP_URL: smtp.url, SMTP_FROM: 'Sinas <mailer@sinas.test>' });
    const made = await post('/api/v1/templates', WELCOME);
    expect(made.status, await made.clone().text()).to.equal(201);
  });
  after(async () => {
    await t?.stop();
    await smtp?.stop();
  });

  it('the kind checks its names and its variable_schema', async () => {
    const upper = await post('/api/v1/templates', { namespace: 'mail', name: 'Bad', html_content: 'x' });
    expect(upper.status).to.equal(400);
    const schema = await post('/api/v1/templates', {
      namespace: 'mail',
      name: 'bad-schema',
      html_content: 'x',
      variable_schema: { type: 'no-such-type' },
    });
    expect(schema.status).to.equal(400);
    expect((await schema.json()).field).to.equal('variable_schema');
    const got = await (await t.api('/api/v1/templates/mail/welcome')).json();
    expect(got).to.include({ title: 'Welcome {{ name }}', html_content: WELCOME.html_content });
  });

  it('renders with the variables, autoescaped; bad variables are a 400 naming the variable', async () => {
    const r = await post('/templates/mail/welcome/render', { variables: { name: '<Ann>', count: 3 } });
    expect(r.status, await r.clone().text()).to.equal(200);
    expect(await r.json()).to.deep.equal({
      title: 'Welcome &lt;Ann&gt;',
      html_content: '<p>Hello &lt;Ann&gt;, you have 3 new items</p>',
      text_content: 'Hello &lt;Ann&gt;, you have 3 new items',
    });
    const missing = await post('/templates/mail/welcome/render', { variables: { count: 3 } });
    expect(missing.status).to.equal(400);
    expect((await missing.json()).field).to.equal('variables.name');
    const wrongType = await post('/templates/mail/welcome/render', { variables: { name: 'A', count: 'x' } });
    expect(wrongType.status).to.equal(400);
    expect((await wrongType.json()).field).to.equal('variables.count');
    // the preview on the management API answers the same
    const preview = await post('/api/v1/templates/mail/welcome/render', { variables: { name: 'B' } });
    expect((await preview.json()).html_content).to.equal('<p>Hello B, you have 0 new items</p>');
    // a variable the template uses but nobody gave (strict undefined): 400 naming the field
    await post('/api/v1/templates', { namespace: 'mail', name: 'strict', html_content: '{{ nope }}' });
    const strict = await post('/templates/mail/strict/render', { variables: {} });
    expect(strict.status).to.equal(400);
    expect((await strict.json()).field).to.equal('html_content');
    expect((await post('/templates/mail/absent/render', { variables: {} })).status).to.equal(404);
  });

  it('emails a rendered template through SMTP', async () => {
    const r = await post('/templates/mail/welcome/email', {
      to: 'reader@example.com',
      from_alias: 'news',
      from_name: 'Sinas News',
      variables: { name: 'Reader', count: 2 },
    });
    expect(r.status, await r.clone().text()).to.equal(200);
    expect(await r.json()).to.deep.equal({ message: 'Email sent successfully', to: 'reader@example.com' });
    const mail = smtp.messages.find((m) => m.to.includes('reader@example.com'));
    expect(mail, 'the message reached the SMTP server').to.not.equal(undefined);
    const raw = bodyOf(mail!.raw);
    expect(raw).to.contain('Subject: Welcome Reader');
    expect(raw).to.match(/From: "?Sinas News"? <news@sinas\.test>/);
    expect(raw).to.contain('Hello Reader, you have 2 new items');
    const bad = await post('/templates/mail/welcome/email', {
      to: 'not-an-address',
      variables: { name: 'x' },
    });
    expect(bad.status).to.equal(400);
    expect((await bad.json()).field).to.equal('to');
  });

  it('ordinary users may neither render nor send a template they do not own', async () => {
    const key = await userKey(t, 'templ-user');
    const headers = { 'x-api-key': key };
    const render = await post('/templates/mail/welcome/render', { variables: { name: 'x' } }, headers);
    expect(render.status).to.equal(403);
    const send = await post('/templates/mail/welcome/email', { to: 'a@example.com' }, headers);
    expect(send.status).to.equal(403);
  });

  it("login's code email is rendered from the otp_email template; an edited one changes it", async () => {
    await post('/api/v1/users', { email: 'otp-reader@example.com' });
    const before = smtp.messages.length;
    expect((await post('/auth/login', { email: 'otp-reader@example.com' })).status).to.equal(200);
    await until('the default code email', async () => smtp.messages.length > before);
    expect(smtp.codeFor('otp-reader@example.com')).to.match(/^\d{6}$/);

    const edited = await post('/api/v1/templates', {
      namespace: 'default',
      name: 'otp_email',
      title: 'Acme sign-in',
      html_content: '<p>Acme code for {{ email }}: {{ otp_code }}</p>',
      text_content: 'Acme code for {{ email }}: {{ otp_code }} (valid {{ valid_minutes }} min)',
    });
    expect(edited.status, await edited.clone().text()).to.equal(201);
    const login = await post('/auth/login', { email: 'otp-reader@example.com' });
    expect(login.status).to.equal(200);
    const { session_id } = await login.json();
    const last = smtp.messages.at(-1)!;
    const raw = bodyOf(last.raw);
    expect(raw).to.contain('Subject: Acme sign-in');
    const code = raw.match(/Acme code for otp-reader@example\.com: (\d{6}) \(valid 10 min\)/)?.[1];
    expect(code, raw).to.match(/^\d{6}$/);
    const v = await post('/auth/verify-otp', { session_id, otp_code: code });
    expect(v.status).to.equal(200);
  });

  it('manages a template by id: get, by-name, patch, preview render, delete', async () => {
    const card = { namespace: 'byid', name: 'card', html_content: '<p>{{ who }}</p>' };
    const made = await (await post('/api/v1/templates', card)).json();
    const one = `/api/v1/templates/${made.id}`;
    const got = await t.api(one);
    expect(got.status, await got.clone().text()).to.equal(200);
    expect(await got.json()).to.include({ id: made.id, namespace: 'byid', name: 'card' });
    const byName = await t.api('/api/v1/templates/by-name/byid/card');
    expect(byName.status).to.equal(200);
    expect((await byName.json()).id).to.equal(made.id);
    const patched = await t.api(one, { method: 'PATCH', json: { title: 'To {{ who }}' } });
    expect(patched.status, await patched.clone().text()).to.equal(200);
    expect(await patched.json()).to.include({ id: made.id, title: 'To {{ who }}' });
    const preview = await post(`${one}/render`, { variables: { who: '<Bo>' } });
    expect(preview.status, await preview.clone().text()).to.equal(200);
    expect(await preview.json()).to.deep.equal({
      title: 'To &lt;Bo&gt;',
      html_content: '<p>&lt;Bo&gt;</p>',
      text_content: null,
    });
    expect((await t.api(one, { method: 'DELETE' })).status).to.equal(204);
    expect((await t.api(one)).status).to.equal(404);
    expect((await t.api('/api/v1/templates/by-name/byid/card')).status).to.equal(404);
  });

  it('by-name finds a template named `versions` (not the versions of template by-name/<ns>)', async () => {
    const made = await (
      await post('/api/v1/templates', { namespace: 'byid', name: 'versions', html_content: 'v' })
    ).json();
    const r = await t.api('/api/v1/templates/by-name/byid/versions');
    expect(r.status, await r.clone().text()).to.equal(200);
    expect((await r.json()).id).to.equal(made.id);
  });

  it("another user's template by id is a 404, never a 403 that reveals it", async () => {
    const owner = { 'x-api-key': await userKey(t, 'tpl-owner') };
    const other = { 'x-api-key': await userKey(t, 'tpl-other') };
    const made = await post(
      '/api/v1/templates',
      { namespace: 'own', name: 'mine', html_content: 'x' },
      owner,
    );
    expect(made.status, await made.clone().text()).to.equal(201);
    const one = `/api/v1/templates/${((await made.json()) as { id: string }).id}`;
    expect((await t.api(one, { headers: owner })).status).to.equal(200);
    const calls: [string, string, unknown][] = [
      ['GET', one, undefined],
      ['PATCH', one, { title: 'stolen' }],
      ['DELETE', one, undefined],
      ['POST', `${one}/render`, { variables: {} }],
    ];
    for (const [method, path, json] of calls) {
      const r = await t.api(path, { method, headers: other, ...(json !== undefined ? { json } : {}) });
      expect(r.status, `${method} ${path}`).to.equal(404);
      expect((await r.json()).field).to.equal('template_id');
    }
    // still there, unchanged
    const still = await (await t.api(one, { headers: owner })).json();
    expect(still.title).to.equal(null);
  });

  it('a template id that is not a uuid is a 400 naming template_id; an unknown one a 404', async () => {
    for (const [method, suffix] of [
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['POST', '/render'],
    ] as const) {
      const json = method === 'PATCH' ? { title: 'x' } : method === 'POST' ? { variables: {} } : undefined;
      const bad = await t.api(`/api/v1/templates/not-a-uuid${suffix}`, { method, ...(json ? { json } : {}) });
      expect(bad.status, `${method} ${suffix}`).to.equal(400);
      expect((await bad.json()).field).to.equal('template_id');
    }
    const unknown = await t.api('/api/v1/templates/00000000-0000-4000-8000-000000000000');
    expect(unknown.status).to.equal(404);
  });

  it('answers 503 naming SMTP when the server has none', async () => {
    const bare = await startTestPlatform();
    try {
      const made = await bare.api('/api/v1/templates', { method: 'POST', json: WELCOME });
      expect(made.status).to.equal(201);
      const r = await bare.api('/templates/mail/welcome/email', {
        method: 'POST',
        json: { to: 'a@example.com', variables: { name: 'x' } },
      });
      expect(r.status).to.equal(503);
      expect(r.headers.get('content-type')).to.contain('application/problem+json');
      expect((await r.json()).detail).to.contain('SMTP');
    } finally {
      await bare.stop();
    }
  });
});

/**
 * A loopback TCP server standing in for an SMTP server that misbehaves: `refuse` greets with a
 * permanent error, `hang` accepts the connection and never says a word.
 */
async function badSmtp(): Promise<{ url: string; mode: { v: 'refuse' | 'hang' }; stop(): Promise<void> }> {
  const mode = { v: 'refuse' as 'refuse' | 'hang' };
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => sockets.delete(s)); // the platform hung up: nothing to do
    if (mode.v === 'refuse') s.end('554 5.7.1 no mail accepted here\r\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mode,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('templates: email when SMTP misbehaves', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let smtp: Awaited<ReturnType<typeof badSmtp>>;
  before(async () => {
    smtp = await badSmtp();
    t = await startTestPlatform({ SMTP_URL: smtp.url, SMTP_FROM: 'Sinas <mailer@sinas.test>' });
    const made = await t.api('/api/v1/templates', { method: 'POST', json: WELCOME });
    expect(made.status).to.equal(201);
  });
  after(async () => {
    await t?.stop();
    await smtp?.stop();
  });
  const send = () =>
    t.api('/templates/mail/welcome/email', {
      method: 'POST',
      json: { to: 'reader@example.com', variables: { name: 'x' } },
    });

  it('answers 502 naming the SMTP server when it refuses the email', async () => {
    smtp.mode.v = 'refuse';
    const r = await send();
    expect(r.status).to.equal(502);
    expect(r.headers.get('content-type')).to.contain('application/problem+json');
    expect((await r.json()).detail).to.match(/SMTP server did not take the email/);
  });

  it('answers 504 when the SMTP server accepts the connection and never answers', async () => {
    smtp.mode.v = 'hang';
    const r = await send();
    expect(r.status).to.equal(504);
    expect((await r.json()).detail).to.match(/SMTP server did not accept the email within 12 s/);
  });
});
