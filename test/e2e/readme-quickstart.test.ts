/**
 * The README's quick start, run as written, so it cannot silently rot: every code block fenced
 * ```` ```sh quickstart ```` is a step, run in order in one bash session (its variables carry over)
 * against a started platform, with the README's base URL and key placeholder replaced by the test
 * platform's. Each step must exit 0, and when the block right after it is fenced ```` ```… output ````
 * the step's output must match it, `…` standing for any text and a run of whitespace for any.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ADMIN_KEY, startTestPlatform, type TestPlatform } from '../support/platform.js';

const README_URL = 'http://127.0.0.1:8000';
const README_KEY = 'sk-sinas-paste-the-printed-key-here';

interface Step {
  readonly code: string;
  /** the output block shown after it, if any */
  readonly expected?: string;
}

/** The quick start's steps: each `sh quickstart` block and the `output` block that follows it. */
function quickstartSteps(markdown: string): Step[] {
  const blocks = [...markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    info: m[1]!.trim().split(/\s+/),
    body: m[2]!,
  }));
  const steps: Step[] = [];
  blocks.forEach((b, i) => {
    if (b.info[0] !== 'sh' || !b.info.includes('quickstart')) return;
    const next = blocks[i + 1];
    const shown = next?.info.includes('output') ? next.body : undefined;
    steps.push({ code: b.body, ...(shown !== undefined ? { expected: shown } : {}) });
  });
  return steps;
}

/** `…` matches any text (across lines), a run of whitespace any whitespace; the rest literally. */
function outputPattern(expected: string): RegExp {
  const parts = expected.trim().split('…');
  const literal = (p: string) =>
    p
      .split(/\s+/)
      .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('\\s*');
  return new RegExp(`^\\s*${parts.map(literal).join('[\\s\\S]*?')}\\s*$`);
}

/** Runs the steps in one bash, a marker line before each; resolves with each step's output. */
async function runSteps(steps: readonly Step[], env: NodeJS.ProcessEnv) {
  const marker = (i: number) => `@@quickstart-step-${i}@@`;
  const script = ['set -eo pipefail', ...steps.flatMap((s, i) => [`echo '${marker(i)}'`, s.code])].join('\n');
  const child = spawn('bash', ['-c', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const outputs = steps.map((_, i) => {
    const start = stdout.indexOf(`${marker(i)}\n`);
    if (start < 0) return undefined; // never reached
    const from = start + marker(i).length + 1;
    const end = stdout.indexOf(marker(i + 1), from);
    return stdout.slice(from, end < 0 ? undefined : end);
  });
  return { code, outputs, stderr };
}

describe('README quick start, followed word for word', function () {
  this.timeout(300_000);
  let t: TestPlatform;
  const readme = readFileSync(path.resolve('README.md'), 'utf8');
  const steps = quickstartSteps(readme);

  before(async () => {
    t = await startTestPlatform(); // no LLM provider: the development model answers, as on first start
  });
  after(async () => t?.stop());

  it('has quick-start steps that name the default address and the key placeholder', () => {
    expect(steps.length).to.be.greaterThan(5);
    expect(steps[0]!.code).to.contain(README_URL);
    expect(steps[0]!.code).to.contain(README_KEY);
  });

  it('runs every step against a started platform: each exits 0 and prints what the README shows', async () => {
    const ours = steps.map((s) => ({
      ...s,
      code: s.code.replaceAll(README_URL, t.url).replaceAll(README_KEY, ADMIN_KEY),
    }));
    const PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`;
    const { code, outputs, stderr } = await runSteps(ours, { ...process.env, PATH });
    const failedAt = outputs.findLastIndex((o) => o !== undefined);
    expect(code, `step ${failedAt + 1} failed:\n${steps[failedAt]?.code}\n${stderr}`).to.equal(0);
    steps.forEach((s, i) => {
      if (s.expected === undefined) return;
      expect(outputs[i], `step ${i + 1}:\n${s.code}`).to.match(outputPattern(s.expected));
    });
  });

  it('matches an output block with … for the parts that differ, and nothing else', () => {
    const p = outputPattern('{"id":"…","name":"x",…}\nevent: done');
    expect('{"id":"1-2","name":"x","more":{"a":1}}\n\nevent: done\n').to.match(p);
    expect('{"id":"1-2","name":"y","more":{}}\nevent: done').not.to.match(p);
    expect('{"id":"1","name":"x","a":1}\nevent: done\nextra').not.to.match(p);
  });
});
