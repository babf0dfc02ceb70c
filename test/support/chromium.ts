/**
 * Headless Chromium for the browser tests and the component bench: Debian's `/usr/bin/chromium`
 * (CI installs it; a machine without it skips those tests loudly), started through playwright-core
 * with a fresh profile and the flags that keep it off the network (this machine's network is closed,
 * and Chromium's background connections would otherwise be refused many at a time).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { skipLoudly } from './skip.js';

export const CHROMIUM = '/usr/bin/chromium';

export interface Chromium {
  readonly browser: BrowserContext;
  /** closes the browser and removes its profile */
  close(): Promise<void>;
}

export async function launchChromium(
  o: { viewport?: { width: number; height: number }; executablePath?: string } = {},
): Promise<Chromium> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'sinas-chromium-'));
  try {
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: o.executablePath ?? CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      ...(o.viewport ? { viewport: o.viewport } : {}),
    });
    return {
      browser,
      close: async () => {
        await browser.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}

/**
 * Mocha hooks for a describe block whose tests use the browser: launched before them (the block
 * skipped loudly where Chromium is not installed), closed after. Call inside the block; the
 * answer gives the browser once the hooks have run.
 */
export function useChromium(): () => BrowserContext {
  let chrome: Chromium | undefined;
  before(async function () {
    if (!existsSync(CHROMIUM)) return skipLoudly(this, 'chromium', `${CHROMIUM} is not installed`);
    chrome = await launchChromium();
  });
  after(async () => {
    await chrome?.close();
  });
  return () => {
    if (!chrome)
      throw new Error('useChromium: the browser is not launched (used outside its describe block?)');
    return chrome.browser;
  };
}
