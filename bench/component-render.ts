/**
 * `component_render`: the time from opening a share link in headless Chromium to the component
 * rendered on the page (the platform counts the view, reads the build, serves the page; the browser
 * loads React and the runtime from the platform and renders). Assets are cached after the first
 * open, as a returning viewer's would be. Target: p50 ≤ 150 ms on this machine.
 */
import { existsSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { launchChromium } from '../test/support/chromium.js';
import { emit, log, sleep } from './io.js';
import { startBenchPlatform } from './platform.js';
import { percentile, round } from './stats.js';

const CHROMIUM = process.env.BENCH_CHROMIUM ?? '/usr/bin/chromium';
const SAMPLES = Number(process.env.BENCH_COMPONENT_SAMPLES ?? 100);
const WARMUP = Number(process.env.BENCH_COMPONENT_WARMUP ?? 10);
const SOURCE = `import React from 'react';
export default function Card(props: { who: string }) {
  return <p id="hello">Hello, {props.who}!</p>;
}`;

export async function runComponentRender(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    emit({ bench: 'component_render', skipped: `${CHROMIUM} is not installed` });
    return;
  }
  const p = await startBenchPlatform();
  const chrome = await launchChromium({ executablePath: CHROMIUM });
  const browser = chrome.browser;
  try {
    await p.json('/api/v1/components', {
      method: 'POST',
      json: { namespace: 'bench', name: 'card', source_code: SOURCE },
    });
    while ((await p.json('/api/v1/components/bench/card')).compile_status === 'pending') await sleep(10);
    const link = await p.json('/api/v1/components/bench/card/shares', {
      method: 'POST',
      json: { input_data: { who: 'bench' } },
    });
    const page = await browser.newPage();
    const open = async () => {
      const t0 = performance.now();
      await page.goto(`${p.url}${link.share_url as string}`);
      await page.locator('#hello').waitFor();
      return performance.now() - t0;
    };
    log(`component_render: ${WARMUP} warm-up opens, then ${SAMPLES}`);
    for (let i = 0; i < WARMUP; i++) await open();
    const ms: number[] = [];
    for (let i = 0; i < SAMPLES; i++) ms.push(await open());
    emit({
      bench: 'component_render',
      samples: SAMPLES,
      p50_ms: round(percentile(ms, 50)),
      p99_ms: round(percentile(ms, 99)),
      target_p50_ms: 150,
    });
  } finally {
    await chrome.close();
    await p.stop();
  }
}
