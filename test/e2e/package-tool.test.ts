/**
 * The `packageManagement` system tool in real chats (reference §2.3): listing and previewing run at
 * once; an install waits for a person's approval — approved, the package is installed; rejected,
 * nothing is. The chat's user needs the package permissions the HTTP routes need.
 */
import { expect } from 'chai';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { startTestPlatform, useProvider, userKey, type TestPlatform } from '../support/platform.js';
import { until } from '../support/until.js';

const pkg = (name: string) => `
apiVersion: sinas.co/v1
kind: SinasPackage
package: { name: ${name}, version: "1.0.0" }
spec:
  skills:
    - { namespace: ${name}, name: guide, description: how, content: Say hello. }
`;

describe('packageManagement system tool', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;

  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    const agent = await t.api('/api/v1/agents', {
      method: 'POST',
      json: { namespace: 'ops', name: 'pkg', system_tools: ['packageManagement'] },
    });
    expect(agent.status).to.equal(201);
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });
  beforeEach(() => llm.reset());

  const chatAs = async (key?: string) => {
    const headers = key ? { 'x-api-key': key } : undefined;
    const r = await t.api('/agents/ops/pkg/chats', {
      method: 'POST',
      json: {},
      ...(headers ? { headers } : {}),
    });
    return (await r.json()).id as string;
  };
  const post = (chatId: string, key?: string) =>
    t.api(`/chats/${chatId}/messages`, {
      method: 'POST',
      json: { content: 'go' },
      ...(key ? { headers: { 'x-api-key': key } } : {}),
    });
  const chatBody = async (chatId: string) => (await t.api(`/chats/${chatId}`)).json();
  const completed = (chatId: string) =>
    until('the turn to complete', async () => (await chatBody(chatId)).turns[0].status === 'completed');
  const installed = async (name: string) => (await t.api(`/api/v1/packages/${name}`)).status === 200;
  const toolResult = (i: number) =>
    JSON.parse(
      (llm.requests[i]!.messages as { role: string; content: string }[]).find((m) => m.role === 'tool')!
        .content,
    );

  it('offers the package tools; preview and list run without approval and change nothing', async () => {
    llm.script([
      { toolCalls: [{ id: 'call_pv', name: 'sinas_package_preview', arguments: { yaml: pkg('viewed') } }] },
      { toolCalls: [{ id: 'call_ls', name: 'sinas_package_list', arguments: {} }] },
      { text: 'looked' },
    ]);
    const chatId = await chatAs();
    const r = await (await post(chatId)).json();
    expect(r.content).to.equal('looked');
    const offered = (llm.requests[0]!.tools as { function: { name: string } }[]).map((x) => x.function.name);
    expect(offered).to.include.members([
      'sinas_package_install',
      'sinas_package_uninstall',
      'sinas_package_list',
    ]);
    expect(toolResult(1).apply.summary.created).to.deep.equal({ skill: 1 });
    expect(await installed('viewed')).to.equal(false);
    expect(await (await t.api('/api/v1/skills/viewed/guide')).status).to.equal(404);
  });

  it('an install waits for approval; approved, the package is installed', async () => {
    llm.script([
      { toolCalls: [{ id: 'call_in', name: 'sinas_package_install', arguments: { yaml: pkg('approved') } }] },
      { text: 'installed' },
    ]);
    const chatId = await chatAs();
    const r = await (await post(chatId)).json();
    expect(r.status).to.equal('awaiting_approval');
    expect(r.pending_approvals[0]).to.deep.include({
      tool_call_id: 'call_in',
      name: 'sinas_package_install',
    });
    expect(await installed('approved')).to.equal(false);
    const approve = await t.api(`/chats/${chatId}/approve-tool/call_in`, {
      method: 'POST',
      json: { approved: true },
    });
    expect(approve.status).to.equal(202);
    await completed(chatId);
    expect(await installed('approved')).to.equal(true);
    expect((await t.api('/api/v1/skills/approved/guide')).status).to.equal(200);
    expect(toolResult(1).apply.summary.created).to.deep.equal({ skill: 1 });
  });

  it('an install rejected installs nothing', async () => {
    llm.script([
      { toolCalls: [{ id: 'call_no', name: 'sinas_package_install', arguments: { yaml: pkg('rejected') } }] },
      { text: 'not installed' },
    ]);
    const chatId = await chatAs();
    expect((await (await post(chatId)).json()).status).to.equal('awaiting_approval');
    const reject = await t.api(`/chats/${chatId}/approve-tool/call_no`, {
      method: 'POST',
      json: { approved: false, reason: 'not now' },
    });
    expect(reject.status).to.equal(202);
    await completed(chatId);
    expect((await chatBody(chatId)).tool_calls[0].status).to.equal('rejected');
    expect(await installed('rejected')).to.equal(false);
    expect((await t.api('/api/v1/skills/rejected/guide')).status).to.equal(404);
  });

  it('an uninstall waits for approval too; approved, the package and its resources are gone', async () => {
    llm.script([
      {
        toolCalls: [
          { id: 'call_un', name: 'sinas_package_uninstall', arguments: { package_name: 'approved' } },
        ],
      },
      { text: 'removed' },
    ]);
    const chatId = await chatAs();
    expect((await (await post(chatId)).json()).status).to.equal('awaiting_approval');
    expect(await installed('approved')).to.equal(true);
    await t.api(`/chats/${chatId}/approve-tool/call_un`, { method: 'POST', json: { approved: true } });
    await completed(chatId);
    expect(await installed('approved')).to.equal(false);
    expect((await t.api('/api/v1/skills/approved/guide')).status).to.equal(404);
  });

  it("a chat user without the package permissions is refused, even when the call's approved", async () => {
    const key = await userKey(t, 'pkg-chatter', ['Users']);
    const perm = await t.api('/api/v1/roles/Users/permissions', {
      method: 'POST',
      json: { permission_key: 'sinas.agents/ops/pkg.chat:all', permission_value: true },
    });
    expect(perm.status).to.be.lessThan(300);
    llm.script([
      { toolCalls: [{ id: 'call_ls2', name: 'sinas_package_list', arguments: {} }] },
      { text: 'refused' },
    ]);
    const chatId = await chatAs(key);
    const r = await (await post(chatId, key)).json();
    expect(r.content, JSON.stringify(r)).to.equal('refused');
    expect(JSON.stringify(toolResult(1))).to.match(/sinas\.packages\.read:all/);
  });
});
