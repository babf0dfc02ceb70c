/**
 * Timelines and state as of an event: a chat whose tool call needed an approval and ran a function
 * that paused reads back in commit order — message, model reply, approval (who, why), execution,
 * pause, resume, result — and `as_of` shows the chat as it was at any revision.
 */
import { expect } from 'chai';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { pausedChat } from '../support/paused-chat.js';
import { startTestPlatform, useProvider, userKey, type TestPlatform } from '../support/platform.js';
import { sinasCli } from '../support/sinas-cli.js';

describe('timelines and as_of', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let chatId: string;
  let executionId: string;
  let adminId: string;
  before(async () => {
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    ({ chatId, executionId } = await pausedChat(t, llm));
    adminId = (await (await t.api('/auth/me')).json()).id;
  });
  after(async () => {
    await t?.stop();
    await llm?.stop();
  });

  it('reads the chat back in commit order: message, reply, approval (who, why), execution, pause, resume, result', async () => {
    const tl = await (await t.api(`/chats/${chatId}/timeline`)).json();
    const types = tl.items.map((i: { type: string }) => i.type);
    const order = [
      'FunctionCreated',
      'AgentCreated',
      'ChatCreated',
      'UserMessagePosted',
      'TurnStarted',
      'AssistantMessageCompleted',
      'ToolApprovalRequested',
      'ToolApprovalDecided',
      'ToolCallStarted',
      'ExecutionRequested',
      'ExecutionStarted',
      'ExecutionAwaitingInput',
      'ToolCallCompleted',
      'ExecutionResumed',
      'ExecutionCompleted',
    ].map((type) => types.indexOf(type));
    expect(
      order.every((i: number) => i >= 0),
      JSON.stringify(types),
    ).to.equal(true);
    expect(order).to.deep.equal([...order].sort((a, b) => a - b));
    const positions = tl.items.map((i: { position: string }) => BigInt(i.position));
    expect(positions).to.deep.equal([...positions].sort((a, b) => (a < b ? -1 : 1)));
    const decided = tl.items.find((i: { type: string }) => i.type === 'ToolApprovalDecided');
    expect(decided).to.include({ actor: adminId });
    expect(decided.data).to.include({ approved: true, reason: 'looks fine' });
    expect(decided.correlation_id).to.be.a('string');
  });

  it('filters by type and pages by position', async () => {
    const only = await (
      await t.api(`/chats/${chatId}/timeline?type=ExecutionStarted,ExecutionResumed`)
    ).json();
    expect(only.items.map((i: { type: string }) => i.type)).to.deep.equal([
      'ExecutionStarted',
      'ExecutionResumed',
      'ExecutionStarted',
    ]);
    const first = await (await t.api(`/chats/${chatId}/timeline?limit=3`)).json();
    expect(first.items).to.have.length(3);
    const rest = await (await t.api(`/chats/${chatId}/timeline?after=${first.next_after}`)).json();
    expect(BigInt(rest.items[0].position) > BigInt(first.items[2].position)).to.equal(true);
  });

  it('shows the chat as it was at a revision (the pending approval then, none now)', async () => {
    const events = (await (await t.api(`/chats/${chatId}/timeline?type=ToolApprovalRequested`)).json()).items;
    const revision = Number(events[0].revision);
    const then = await (await t.api(`/chats/${chatId}?as_of=${revision}`)).json();
    expect(then.as_of).to.equal(revision);
    expect(then.pending_approvals.map((p: { tool_call_id: string }) => p.tool_call_id)).to.deep.equal([
      'call_tl',
    ]);
    expect(then.messages.map((m: { role: string }) => m.role)).to.deep.equal(['user', 'assistant']);
    const now = await (await t.api(`/chats/${chatId}`)).json();
    expect(now.pending_approvals).to.deep.equal([]);
    expect((await t.api(`/chats/${chatId}?as_of=9999`)).status).to.equal(404);
  });

  it("an execution's timeline has its runs, its function version and its tool call's approval", async () => {
    const tl = await (await t.api(`/executions/${executionId}/timeline`)).json();
    const types = tl.items.map((i: { type: string }) => i.type);
    expect(types).to.include.members([
      'FunctionCreated',
      'ToolApprovalDecided',
      'ExecutionRequested',
      'ExecutionCompleted',
    ]);
  });

  it('replays in the terminal (sinas replay chat), indented by cause, and stops at --as-of', async () => {
    const replay = (...args: string[]) =>
      sinasCli(['replay', 'chat', chatId, ...args], {
        ...process.env,
        DATABASE_URL: t.db.url,
        NO_COLOR: '1',
      });
    const full = await replay();
    expect(full.status, full.stderr).to.equal(0);
    expect(full.stdout).to.contain('user: ask');
    expect(full.stdout).to.match(/ {4}approved by [\w-]+: "looks fine"/);
    expect(full.stdout).to.match(/ {6}paused for input: "who\?"/);
    expect(full.stdout).to.contain('resumed by');
    expect(full.stdout).to.contain('completed in');
    const decided = (await (await t.api(`/chats/${chatId}/timeline?type=ToolApprovalRequested`)).json())
      .items[0];
    const early = await replay('--as-of', decided.revision);
    expect(early.status, early.stderr).to.equal(0);
    expect(early.stdout).to.contain('approval requested');
    expect(early.stdout).to.not.contain('approved by');
    expect((await replay('--as-of', '9999')).status).to.equal(1);
  });

  it('is for the owner and auditors only', async () => {
    const other = { 'x-api-key': await userKey(t, 'tl-other') };
    expect((await t.api(`/chats/${chatId}/timeline`, { headers: other })).status).to.equal(404);
    expect((await t.api(`/executions/${executionId}/timeline`, { headers: other })).status).to.equal(404);
    const auditor = { 'x-api-key': await userKey(t, 'tl-auditor', ['Auditors']) };
    expect((await t.api(`/chats/${chatId}/timeline`, { headers: auditor })).status).to.equal(200);
    expect((await t.api(`/executions/${executionId}/timeline`, { headers: auditor })).status).to.equal(200);
  });
});
