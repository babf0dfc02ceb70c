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

  /** the result of the latest tool call the model saw in its i-th request */
  const latestToolResult = (i: number) =>
    JSON.parse(
      (llm.requests[i]!.messages as { role: string; content: string }[]).findLast((m) => m.role === 'tool')!
        .content,
    );

  it('reads the package from a collection file (file_path) the chat user may read', async () => {
    const up = await t.api('/files/ops/pkgs', {
      method: 'POST',
      json: { name: 'filed.yaml', content_base64: Buffer.from(pkg('filed')).toString('base64') },
    });
    expect(up.status).to.equal(201);
    llm.script([
      {
        toolCalls: [
          { id: 'call_fp', name: 'sinas_package_preview', arguments: { file_path: 'ops/pkgs/filed.yaml' } },
        ],
      },
      {
        toolCalls: [
          { id: 'call_fv', name: 'sinas_package_validate', arguments: { file_path: 'ops/pkgs/filed.yaml' } },
        ],
      },
      { text: 'previewed' },
    ]);
    const chatId = await chatAs();
    expect((await (await post(chatId)).json()).content).to.equal('previewed');
    const preview = latestToolResult(1);
    expect(preview.package).to.include({ name: 'filed', version: '1.0.0' });
    expect(preview.apply.summary.created).to.deep.equal({ skill: 1 });
    expect(latestToolResult(2)).to.include({ valid: true });
    expect(await installed('filed')).to.equal(false);
  });

  it("file_path never reads another user's private file, a missing one, or anything outside a collection", async () => {
    expect(
      (await t.api('/api/v1/roles', { method: 'POST', json: { name: 'PkgPreviewers' } })).status,
    ).to.equal(201);
    for (const key of ['sinas.packages.install:all', 'sinas.agents/ops/pkg.chat:all']) {
      const r = await t.api('/api/v1/roles/PkgPreviewers/permissions', {
        method: 'POST',
        json: { permission_key: key, permission_value: true },
      });
      expect(r.status).to.be.lessThan(300);
    }
    // Users may download from collections, but the admin's file is private
    const key = await userKey(t, 'pkg-previewer', ['Users', 'PkgPreviewers']);
    const paths = [
      'ops/pkgs/filed.yaml',
      'ops/pkgs/nothing.yaml',
      'ops/pkgs/../../../etc/passwd',
      '/etc/passwd',
    ];
    llm.script([
      ...paths.map((file_path, i) => ({
        toolCalls: [{ id: `call_x${i}`, name: 'sinas_package_preview', arguments: { file_path } }],
      })),
      { text: 'nothing read' },
    ]);
    const chatId = await chatAs(key);
    expect((await (await post(chatId, key)).json()).content).to.equal('nothing read');
    const results = paths.map((_, i) => latestToolResult(i + 1));
    expect(results[0].error).to.equal(
      "file_path: no file 'filed.yaml' in collection 'ops/pkgs' that you may read",
    );
    expect(results[1].error).to.equal(results[0].error.replace('filed.yaml', 'nothing.yaml'));
    expect(results[2].error).to.contain('no file').and.not.to.contain('root:');
    expect(results[3].error).to.match(/^file_path: (must be|no file)/);
    expect(JSON.stringify(results)).not.to.contain('root:x:0');
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
