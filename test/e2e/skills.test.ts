/**
 * Skills (reference §5.6): the kind's lifecycle and who sees what, runtime discovery `GET /skills`,
 * and skills in real chat turns: a preloaded skill in the system prompt of the first AND the tool
 * rounds, a `get_skill_…` tool for a skill named with underscores and dashes that returns its
 * markdown, and a skill the chat's user may not read neither shown nor offered.
 */
import { expect } from 'chai';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, useProvider, userKey, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';

const STYLE = '## House style\n\nAlways answer in haiku.';
const TONE = '## Tone\n\nBe warm, never curt.';
const HIDDEN = '## Private notes of bob\n\nnever shown to alice';

describe('skills', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let alice: string;
  let bob: string;
  const as = (key: string, path: string, init: RequestInit & { json?: unknown } = {}) =>
    t.api(path, { ...init, headers: { 'x-api-key': key } });
  const create = async (key: string, json: Record<string, unknown>) => {
    const r = await as(key, '/api/v1/skills', { method: 'POST', json });
    expect(r.status, JSON.stringify(await r.clone().json())).to.equal(201);
    return r.json();
  };

  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    alice = await userKey(t, 'alice-skills');
    bob = await userKey(t, 'bob-skills');
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  beforeEach(() => llm.reset());

  it('create, read, update, list and delete a skill; the fields are required', async () => {
    const made = await create(alice, { namespace: 'crud', name: 'one', description: 'd1', content: '# one' });
    expect(made).to.include({ namespace: 'crud', name: 'one', description: 'd1', content: '# one' });
    expect(made.is_active).to.equal(true);
    const missing = await as(alice, '/api/v1/skills', {
      method: 'POST',
      json: { namespace: 'crud', name: 'two', description: 'd' },
    });
    expect(missing.status).to.equal(400);
    expect(JSON.stringify(await missing.json())).to.contain('content');
    const updated = await as(alice, '/api/v1/skills/crud/one', {
      method: 'PUT',
      json: { content: '# one, revised' },
    });
    expect(updated.status).to.equal(200);
    expect((await updated.json()).content).to.equal('# one, revised');
    const got = await (await as(alice, '/api/v1/skills/crud/one')).json();
    expect(got).to.include({ description: 'd1', content: '# one, revised' });
    const listed = (await (await as(alice, '/api/v1/skills?namespace=crud')).json()) as { name: string }[];
    expect(listed.map((s) => s.name)).to.deep.equal(['one']);
    expect((await as(alice, '/api/v1/skills/crud/one', { method: 'DELETE' })).status).to.equal(204);
    expect((await as(alice, '/api/v1/skills/crud/one')).status).to.equal(404);
  });

  it("another user can neither read nor change a user's skill; GET /skills shows each their own", async () => {
    await create(alice, { namespace: 'perm', name: 'alices', description: 'a', content: '# a' });
    await create(bob, { namespace: 'perm', name: 'bobs', description: 'b', content: '# b' });
    expect((await as(bob, '/api/v1/skills/perm/alices')).status).to.be.oneOf([403, 404]);
    const change = await as(bob, '/api/v1/skills/perm/alices', { method: 'PUT', json: { content: 'x' } });
    expect(change.status).to.be.oneOf([403, 404]);
    const names = async (key: string) =>
      ((await (await as(key, '/skills?namespace=perm')).json()) as { name: string }[]).map((s) => s.name);
    expect(await names(alice)).to.deep.equal(['alices']);
    expect(await names(bob)).to.deep.equal(['bobs']);
    // the administrator reads every skill
    expect(((await (await t.api('/skills?namespace=perm')).json()) as unknown[]).length).to.equal(2);
  });

  it('a config applies skills (before agents), templates, and agents naming skills by string or object', async () => {
    const yaml = `
apiVersion: sinas.co/v1
kind: SinasConfig
metadata: { name: skills-cfg }
spec:
  skills:
    - { namespace: cfg, name: tips, description: Tips, content: "# Tips" }
    - { namespace: default, name: basics, description: Basics, content: "# Basics" }
  templates:
    - { namespace: cfg, name: note, title: "Hi {{ who }}", htmlContent: "<p>{{ who }}</p>" }
  agents:
    - namespace: cfg
      name: helper
      enabledSkills: [cfg/tips, { skill: basics, preload: true }]
`;
    const r = await t.api('/api/v1/config/apply', {
      method: 'POST',
      headers: { 'content-type': 'application/yaml' },
      body: yaml,
    });
    const text = await r.text();
    expect(r.status, text).to.equal(200);
    expect(JSON.parse(text).summary.created).to.deep.include({ skill: 2, template: 1, agent: 1 });
    const agent = await (await t.api('/api/v1/agents/cfg/helper')).json();
    expect(agent.enabled_skills).to.deep.equal([
      { skill: 'cfg/tips', preload: false },
      { skill: 'default/basics', preload: true },
    ]);
    expect((await (await t.api('/api/v1/skills/cfg/tips')).json()).content).to.equal('# Tips');
    expect((await (await t.api('/api/v1/templates/cfg/note')).json()).title).to.equal('Hi {{ who }}');
  });

  describe('in chats', () => {
    before(async () => {
      await create(alice, { namespace: 'kb', name: 'style', description: 'House style', content: STYLE });
      await create(alice, {
        namespace: 'my-kb',
        name: 'tone_and-voice',
        description: 'How to sound',
        content: TONE,
      });
      await create(bob, { namespace: 'kb', name: 'bobs-notes', description: 'Bob only', content: HIDDEN });
      await create(bob, { namespace: 'kb', name: 'bobs-preload', description: 'Bob only', content: HIDDEN });
      const agent = await t.api('/api/v1/agents', {
        method: 'POST',
        json: {
          namespace: 'sk',
          name: 'writer',
          system_prompt: 'You write.',
          output_schema: { type: 'object', properties: { text: { type: 'string' } } },
          enabled_skills: [
            { skill: 'kb/style', preload: true },
            { skill: 'my-kb/tone_and-voice' },
            { skill: 'kb/bobs-notes' },
            { skill: 'kb/bobs-preload', preload: true },
          ],
        },
      });
      expect(agent.status, JSON.stringify(await agent.clone().json())).to.equal(201);
    });

    const systemOf = (i: number) =>
      (llm.requests[i]!.messages as { role: string; content: string }[]).find((m) => m.role === 'system')!
        .content;
    const toolNames = (i: number) =>
      ((llm.requests[i]!.tools ?? []) as { function: { name: string } }[]).map((x) => x.function.name);

    it('preloads a skill into the system prompt of every round and serves get_skill_… by its own skill', async () => {
      llm.script([
        { toolCalls: [{ id: 'call_tone', name: 'get_skill_my_kb_tone_and_voice', arguments: {} }] },
        { text: '{"text": "done"}' },
      ]);
      const chat = await (await as(alice, '/agents/sk/writer/chats', { method: 'POST', json: {} })).json();
      const reply = await as(alice, `/chats/${chat.id}/messages`, {
        method: 'POST',
        json: { content: 'go' },
      });
      expect(reply.status).to.equal(200);
      expect(llm.requests).to.have.length(2);
      for (const round of [0, 1]) {
        const system = systemOf(round);
        expect(system, `round ${round}`).to.contain(`# Preloaded Skills\n\n# Skill: kb/style\n\n${STYLE}`);
        // before the structured-output instruction (reference §3.8 step 5)
        expect(system.indexOf('# Preloaded Skills')).to.be.lessThan(system.indexOf('"text"'));
        expect(system).not.to.contain('Private notes of bob');
      }
      expect(toolNames(0)).to.include('get_skill_my_kb_tone_and_voice');
      expect(toolNames(0)).not.to.include('get_skill_kb_style');
      const tool = (
        llm.requests[1]!.messages as { role: string; tool_call_id: string; content: string }[]
      ).find((m) => m.role === 'tool' && m.tool_call_id === 'call_tone');
      expect(tool!.content).to.equal(TONE);
      await until('the tool call in GET /chats', async () => {
        const body = await (await as(alice, `/chats/${chat.id}`)).json();
        return (body.tool_calls as { status: string }[] | undefined)?.[0]?.status === 'ok';
      });
      const body = await (await as(alice, `/chats/${chat.id}`)).json();
      expect(body.tool_calls[0]).to.deep.include({
        name: 'get_skill_my_kb_tone_and_voice',
        description: 'Loading skill my_kb_tone_and_voice',
        target: { family: 'skill', ref: { namespace: 'my-kb', name: 'tone_and-voice' } },
      });
    });

    it("a skill the chat's user may not read is neither offered nor preloaded, and a call to it is refused", async () => {
      llm.script([
        { toolCalls: [{ id: 'call_hidden', name: 'get_skill_kb_bobs_notes', arguments: {} }] },
        { text: '{"text": "ok"}' },
      ]);
      const chat = await (await as(alice, '/agents/sk/writer/chats', { method: 'POST', json: {} })).json();
      await as(alice, `/chats/${chat.id}/messages`, { method: 'POST', json: { content: 'go' } });
      expect(toolNames(0)).not.to.include('get_skill_kb_bobs_notes');
      expect(systemOf(0)).not.to.contain('Private notes of bob');
      const tool = (
        llm.requests[1]!.messages as { role: string; tool_call_id: string; content: string }[]
      ).find((m) => m.tool_call_id === 'call_hidden');
      expect(tool!.content).not.to.contain('Private notes of bob');
      // bob, who owns them, gets both
      llm.script([{ text: '{"text": "ok"}' }]);
      const his = await (await as(bob, '/agents/sk/writer/chats', { method: 'POST', json: {} })).json();
      await as(bob, `/chats/${his.id}/messages`, { method: 'POST', json: { content: 'go' } });
      const last = llm.requests.length - 1;
      expect(toolNames(last)).to.include('get_skill_kb_bobs_notes');
      expect(systemOf(last)).to.contain('# Skill: kb/bobs-preload');
    });
  });
});
