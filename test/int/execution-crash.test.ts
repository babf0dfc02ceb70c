/**
 * Executions survive their worker's death (SIGKILL): a run found started is never run again — it
 * ends FAILED with a clear reason and its side effect happened once; a paused execution is
 * continued twice after a restart and completes.
 */
import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ABANDONED } from '../../src/runtime/functions/execution-worker.js';
import { startTestPlatform, type TestPlatform } from '../support/platform.js';
import { spawnWorker } from '../support/worker-process.js';

const startWorker = (url: string): ChildProcess => spawnWorker(url);

const SIDE_EFFECT = `
import time
def handler(input_data, context):
    with open(input_data["file"], "a") as f:
        f.write("charged\\n")
    time.sleep(15)
    return {"ok": True}
`;
const ASK = `
def handler(input_data, context):
    a = input("first?")
    b = input("second?")
    return {"answers": [a, b]}
`;

describe('execution crash safety', function () {
  this.timeout(180_000);
  let t: TestPlatform;
  let dir: string;
  const workers: ChildProcess[] = [];
  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sinas-exec-crash-'));
    chmodSync(dir, 0o777); // shared-pool workers never run as root: as the test's root, they are another uid
    t = await startTestPlatform({ SINAS_ROLE: 'api' });
  });
  after(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const kill = async (w: ChildProcess) => {
    w.kill('SIGKILL');
    if (w.exitCode === null && w.signalCode === null) await new Promise((r) => w.once('exit', r));
  };
  const poll = async (id: string, until: (e: { status: string }) => boolean, tries = 1200) => {
    for (let i = 0; i < tries; i++) {
      const r = await t.api(`/executions/${id}`);
      if (r.status === 200) {
        const e = await r.json();
        if (until(e)) return e;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    throw new Error(`execution ${id} did not reach the state`);
  };

  it('a run whose worker was killed is failed with a reason after restart, never run twice', async () => {
    const file = path.join(dir, 'charges.log');
    const r = await t.api('/api/v1/functions', {
      method: 'POST',
      json: {
        namespace: 'crash',
        name: 'charge',
        code: SIDE_EFFECT,
        shared_pool: true, // a trusted host process: it can leave a countable side effect in a file
        input_schema: { type: 'object' },
      },
    });
    expect(r.status).to.equal(201);
    const first = startWorker(t.db.url);
    workers.push(first);
    const { execution_id } = await (
      await t.api('/functions/crash/charge/execute/async', { method: 'POST', json: { input: { file } } })
    ).json();
    for (let i = 0; !existsSync(file) || readFileSync(file, 'utf8') === ''; i++) {
      if (i > 1200) throw new Error('the function never ran');
      await new Promise((res) => setTimeout(res, 50));
    }
    await kill(first);
    workers.push(startWorker(t.db.url));
    const failed = await poll(execution_id, (e) => e.status === 'FAILED');
    expect(failed.error).to.equal(ABANDONED);
    expect(readFileSync(file, 'utf8')).to.equal('charged\n');
    const events = await t.platform.services.eventStore.readStream(`execution-${execution_id}`);
    expect(events.filter((e) => e.type === 'ExecutionStarted')).to.have.length(1);
  });

  it('a paused execution is continued twice after its worker was killed, and completes', async () => {
    await t.api('/api/v1/functions', {
      method: 'POST',
      json: { namespace: 'crash', name: 'ask', code: ASK, input_schema: { type: 'object' } },
    });
    const w = startWorker(t.db.url);
    workers.push(w);
    const { execution_id } = await (
      await t.api('/functions/crash/ask/execute/async', { method: 'POST', json: {} })
    ).json();
    await poll(execution_id, (e) => e.status === 'AWAITING_INPUT');
    await kill(w);
    for (const worker of workers)
      if (worker.exitCode === null && worker.signalCode === null) await kill(worker);
    workers.push(startWorker(t.db.url));
    const one = await (
      await t.api(`/executions/${execution_id}/continue`, { method: 'POST', json: { input: 'A' } })
    ).json();
    expect(one).to.include({ status: 'awaiting_input', prompt: 'second?' });
    const two = await (
      await t.api(`/executions/${execution_id}/continue`, { method: 'POST', json: { input: 'B' } })
    ).json();
    expect(two.status).to.equal('success');
    expect(two.output_data).to.deep.equal({ answers: ['A', 'B'] });
  });
});
