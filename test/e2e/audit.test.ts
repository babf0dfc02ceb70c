/**
 * The audit log and the verifiable export: a real chat's export verifies (in-process and with the
 * CLI), and every tampering — a changed event, reordered lines, a dropped line, a truncated file,
 * a forged summary — fails verification.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyExport } from '../../src/audit/export-chain.js';
import { startTestPlatform, userKey, type TestPlatform } from '../support/platform.js';
import { sinasCli } from '../support/sinas-cli.js';

describe('audit log and verifiable export', function () {
  this.timeout(60_000);
  let t: TestPlatform;
  let dir: string;
  let chatId: string;
  let exportText: string;
  let fingerprint: string;
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sinas-audit-'));
    t = await startTestPlatform();
    await t.api('/api/v1/agents', { method: 'POST', json: { namespace: 'audit', name: 'bot' } });
    chatId = (await (await t.api('/agents/audit/bot/chats', { method: 'POST', json: {} })).json()).id;
    for (const content of ['first question', 'second question'])
      expect(
        (await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content } })).status,
      ).to.equal(200);
    const res = await t.api(`/api/v1/audit/export?stream=chat-${chatId}`);
    expect(res.headers.get('content-type')).to.contain('application/x-ndjson');
    exportText = await res.text();
    fingerprint = (await (await t.api('/api/v1/audit/public-key')).json()).fingerprint;
  });
  after(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = () => exportText.trim().split('\n');
  const cli = (text: string, ...args: string[]) => {
    const file = path.join(dir, `export-${Math.random().toString(36).slice(2)}.ndjson`);
    writeFileSync(file, text);
    return sinasCli(['audit', 'verify', file, ...args]);
  };

  it("exports a chat's events with a hash chain and a signed summary that verifies", async () => {
    const all = lines();
    expect(all).to.have.length(8); // ChatCreated + 2 × (message, started, completed) + summary
    const first = JSON.parse(all[0]!);
    expect(first.event).to.include({ stream: `chat-${chatId}`, type: 'ChatCreated', revision: '0' });
    expect(first.prev).to.equal('0'.repeat(64));
    const verdict = verifyExport(exportText, fingerprint);
    expect(verdict).to.deep.equal({ ok: true, count: 7, fingerprint });
    const run = await cli(exportText, '--fingerprint', fingerprint);
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.contain('verified: 7 events');
  });

  const fails = async (text: string, reason: RegExp) => {
    const v = verifyExport(text, fingerprint);
    expect(v.ok).to.equal(false);
    expect((v as { reason: string }).reason).to.match(reason);
    const run = await cli(text);
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain('NOT VERIFIED');
  };

  it('fails a changed event', async () => {
    const all = lines();
    const i = all.findIndex((l) => l.includes('second question'));
    expect(i).to.be.greaterThan(0);
    all[i] = all[i]!.replace('second question', 'another question');
    await fails(all.join('\n'), /hash does not match/);
  });

  it('fails reordered lines', async () => {
    const all = lines();
    [all[1], all[2]] = [all[2]!, all[1]!];
    await fails(all.join('\n'), /seq|prev/);
  });

  it('fails a dropped line', async () => {
    const all = lines();
    all.splice(3, 1);
    await fails(all.join('\n'), /seq|prev/);
  });

  it('fails a truncated file (no signed summary, or a summary that does not seal the chain)', async () => {
    await fails(lines().slice(0, -1).join('\n'), /summary/);
    const all = lines();
    await fails([...all.slice(0, 3), all.at(-1)!].join('\n'), /summary says|seal/);
  });

  it('fails a forged summary', async () => {
    const all = lines();
    const last = JSON.parse(all.at(-1)!);
    last.summary.exported_at = '2000-01-01T00:00:00.000Z';
    await fails([...all.slice(0, -1), JSON.stringify(last)].join('\n'), /signature/);
  });

  it('lists events over the log with filters and paging; auditors may, ordinary users may not', async () => {
    const page = await (
      await t.api(`/api/v1/audit/events?category=chat&type=UserMessagePosted&limit=1`)
    ).json();
    expect(page.events).to.have.length(1);
    expect(page.events[0]).to.include({ type: 'UserMessagePosted', stream: `chat-${chatId}` });
    const next = await (
      await t.api(`/api/v1/audit/events?category=chat&type=UserMessagePosted&after=${page.next_after}`)
    ).json();
    expect(next.events.map((e: { data: { content: string } }) => e.data.content)).to.deep.equal([
      'second question',
    ]);
    const correlation = page.events[0].metadata.correlationId;
    const byCorrelation = await (await t.api(`/api/v1/audit/events?correlation_id=${correlation}`)).json();
    expect(byCorrelation.events.length).to.be.greaterThan(0);
    expect(
      byCorrelation.events.every(
        (e: { metadata: { correlationId: string } }) => e.metadata.correlationId === correlation,
      ),
    ).to.equal(true);
    const auditor = { 'x-api-key': await userKey(t, 'auditor', ['Auditors']) };
    expect((await t.api('/api/v1/audit/events', { headers: auditor })).status).to.equal(200);
    const user = { 'x-api-key': await userKey(t, 'ordinary') };
    expect((await t.api('/api/v1/audit/events', { headers: user })).status).to.equal(403);
    const bad = await t.api('/api/v1/audit/events?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z');
    expect(bad.status).to.equal(400);
  });
});
