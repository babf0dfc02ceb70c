/**
 * The timeline page in a real browser (headless Debian Chromium driven by playwright-core): a
 * reviewer opens /console/chats/{id}#key=… and reads who said what, the tool call and its
 * arguments, who approved it and why, the pause's prompt and the answer that resumed it; a hostile
 * message shows as text; the key decides what the page may show.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { CHROMIUM, launchChromium, type Chromium } from '../support/chromium.js';
import { PAUSED_CHAT, pausedChat } from '../support/paused-chat.js';
import {
  startTestPlatform,
  useProvider,
  userKey,
  ADMIN_KEY,
  type TestPlatform,
} from '../support/platform.js';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.js';
import { skipLoudly } from '../support/skip.js';

const HOSTILE =
  '<script>window.__pwned = "script"</script><img src=x onerror="window.__pwned = \'img\'"> & <b>bold</b>';

describe('timeline page (headless Chromium)', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let llm: ScriptedLlm;
  let chrome: Chromium | undefined;
  let browser: BrowserContext;
  let chatId: string;
  let adminId: string;

  before(async function () {
    if (!existsSync(CHROMIUM)) return skipLoudly(this, 'chromium', `${CHROMIUM} is not installed`);
    llm = await startScriptedLlm();
    t = await startTestPlatform();
    await useProvider(t, llm.url);
    ({ chatId } = await pausedChat(t, llm));
    llm.script([{ text: 'noted' }]);
    const hostile = await t.api(`/chats/${chatId}/messages`, { method: 'POST', json: { content: HOSTILE } });
    expect(hostile.status).to.equal(200);
    adminId = (await (await t.api('/auth/me')).json()).id;
    chrome = await launchChromium({ viewport: { width: 1200, height: 900 } });
    browser = chrome.browser;
  });
  after(async () => {
    await chrome?.close();
    await t?.stop();
    await llm?.stop();
  });

  /** Opens the page with `key` in the fragment and waits until it has rendered or refused. */
  const open = async (key: string | null, problems: string[] = [], chat = chatId): Promise<Page> => {
    const page = await browser.newPage();
    page.on('console', (m) => void (m.type() === 'error' && problems.push(m.text())));
    page.on('pageerror', (e) => problems.push(e.message));
    const fragment = key === null ? '' : `#key=${encodeURIComponent(key)}`;
    await page.goto(`${t.url}/console/chats/${chat}${fragment}`);
    await page.locator('body:not([data-state="loading"])').waitFor({ timeout: 30_000 });
    return page;
  };
  /** loading, ready, error or need-key (the page sets it on its body) */
  const state = (page: Page) => page.locator('body').getAttribute('data-state');
  const text = (page: Page, selector: string) => page.locator(selector).first().innerText();

  it('shows the messages, the tool call, the approval (approver, reason), the pause and the answer', async () => {
    const problems: string[] = [];
    const page = await open(ADMIN_KEY, problems);
    expect(await state(page)).to.equal('ready');
    expect(problems, 'errors in the browser console (a CSP refusal, a script error)').to.deep.equal([]);
    // the stylesheet applied (the policy admits it by its hash): the legend is a flex row
    const legend = page.locator('.legend li');
    expect((await legend.nth(0).boundingBox())?.y).to.equal((await legend.nth(1).boundingBox())?.y);
    expect(page.url(), 'the key leaves the address bar').not.to.contain('key=');

    const user = await page.locator('[data-type="UserMessagePosted"] .text').allInnerTexts();
    expect(user).to.deep.equal([PAUSED_CHAT.message, HOSTILE]);
    const replies = await page.locator('[data-type="AssistantMessageCompleted"]').allInnerTexts();
    expect(replies.join('\n')).to.contain(PAUSED_CHAT.reply).and.to.contain('noted');

    const call = await text(page, '[data-tool-call="call_tl"]');
    expect(call).to.contain('Calls tl/ask').and.to.contain('needs approval');
    expect(call).to.contain('"topic": "names"');

    const approval = await text(page, '[data-type="ToolApprovalDecided"]');
    expect(approval).to.contain('Approved');
    expect(await text(page, '[data-type="ToolApprovalDecided"] [data-field="approver"]')).to.equal(
      'admin@sinas.local',
    );
    expect(await text(page, '[data-type="ToolApprovalDecided"] [data-field="reason"]')).to.equal(
      PAUSED_CHAT.reason,
    );

    // the execution sits under the tool call that started it
    const execution = '[data-type="ToolCallStarted"] ol[data-execution]';
    expect(
      await text(page, `${execution} [data-type="ExecutionAwaitingInput"] [data-field="prompt"]`),
    ).to.equal(PAUSED_CHAT.prompt);
    expect(await text(page, `${execution} [data-type="ExecutionResumed"] [data-field="answer"]`)).to.equal(
      PAUSED_CHAT.answer,
    );
    expect(
      await text(page, `${execution} [data-type="ExecutionCompleted"] [data-field="output"]`),
    ).to.contain(`"name": "${PAUSED_CHAT.answer}"`);
    expect(await page.locator('section[data-turn]').count()).to.equal(2);

    await page.screenshot({ path: 'test-artifacts/console-timeline.png', fullPage: true });
    await page.close();
  });

  it('renders a hostile message as text: no script runs, no element is made from it', async () => {
    const page = await open(ADMIN_KEY);
    const hostile = page.locator('[data-type="UserMessagePosted"] .text').nth(1);
    expect(await hostile.innerText()).to.equal(HOSTILE);
    expect(await hostile.locator('*').count()).to.equal(0);
    expect(await page.locator('#timeline img, #timeline script, #timeline b').count()).to.equal(0);
    expect(await page.evaluate(() => (globalThis as { __pwned?: string }).__pwned)).to.equal(undefined);
    await page.close();
  });

  it('shows an auditor the timeline with the approver as an id (they may not read users)', async () => {
    const page = await open(await userKey(t, 'console-auditor', ['Auditors']));
    expect(await state(page)).to.equal('ready');
    expect(await text(page, '[data-type="ToolApprovalDecided"] [data-field="approver"]')).to.equal(
      `user ${adminId}`,
    );
    expect(await text(page, '[data-type="ExecutionResumed"] [data-field="answer"]')).to.equal(
      PAUSED_CHAT.answer,
    );
    await page.close();
  });

  it('shows what the viewer may not read as a reference: the agent they may only chat with, no prompt', async () => {
    await t.api('/api/v1/roles', {
      method: 'POST',
      json: { name: 'ConsoleChat', permissions: { 'sinas.agents/tl/bot.chat:all': true } },
    });
    const headers = { 'x-api-key': await userKey(t, 'console-chatter', ['ConsoleChat']) };
    const id = (await (await t.api('/agents/tl/bot/chats', { method: 'POST', headers, json: {} })).json()).id;
    llm.script([{ text: 'hi there' }]);
    await t.api(`/chats/${id}/messages`, { method: 'POST', headers, json: { content: 'hello' } });
    const problems: string[] = [];
    const page = await open(headers['x-api-key'], problems, id);
    expect(await state(page)).to.equal('ready');
    expect(problems).to.deep.equal([]);
    const agent = await page.locator('[data-type="AgentCreated"]').first().textContent();
    expect(agent).to.contain('AgentCreated · agent tl/bot (version 1)').and.to.contain('Not shown');
    expect(await text(page, '[data-type="AssistantMessageCompleted"] .text')).to.equal('hi there');
    await page.close();
  });

  it("shows nothing of the chat to someone else's key, and asks for a key when there is none or it is wrong", async () => {
    const other = await open(await userKey(t, 'console-other'));
    expect(await state(other)).to.equal('error');
    expect(await text(other, '#problem')).to.contain('404');
    expect(await other.locator('#timeline').innerText()).to.equal('');
    await other.close();

    const none = await open(null);
    expect(await state(none)).to.equal('need-key');
    await none.fill('#key-input', 'sk-not-a-real-key-0123456789');
    await none.click('#key-form button');
    await none.locator('body[data-state="need-key"] #problem:not([hidden])').waitFor();
    expect(await text(none, '#problem')).to.contain('401');
    await none.fill('#key-input', ADMIN_KEY);
    await none.click('#key-form button');
    await none.locator('body[data-state="ready"]').waitFor();
    expect(await none.locator('[data-type="UserMessagePosted"]').count()).to.equal(2);
    await none.close();
  });

  it('serves the page with a policy that admits only its own script and no other origin', async () => {
    const res = await fetch(`${t.url}/console/chats/${chatId}`);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).to.contain("script-src 'self'").and.to.contain("default-src 'none'");
    expect(csp).not.to.contain('unsafe-inline');
    expect(await res.text()).not.to.contain(chatId);
  });
});
