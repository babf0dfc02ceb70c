/**
 * `sinas apply` prints a plan before applying, like `terraform plan`: `+` creates, `~` updates with
 * the fields that change, `=` the count left unchanged. Without a terminal it applies the plan it
 * printed; a terminal is asked first, and a declined plan writes nothing; `--yes` never asks.
 */
import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configCommand } from '../../src/cli/config.js';
import type { EventStore } from '../../src/events/event-store.js';
import { sinasCli } from '../support/sinas-cli.js';
import { ADMIN_KEY, startTestPlatform, type TestPlatform } from '../support/platform.js';

const config = (description: string) => `
apiVersion: sinas.co/v1
kind: SinasConfig
metadata: { name: plan }
spec:
  functions:
    - namespace: plan
      name: echo
      code: |
        def handler(input_data, context):
            return input_data
  agents:
    - { namespace: plan, name: helper, description: ${description}, enabledFunctions: [plan/echo] }
`;

describe('sinas apply: a plan before applying', function () {
  this.timeout(120_000);
  let t: TestPlatform;
  let store: EventStore;
  let file: string;
  const cli = (...args: string[]) =>
    sinasCli(['apply', '-f', file, ...args], { ...process.env, SINAS_URL: t.url, SINAS_API_KEY: ADMIN_KEY });
  /** the CLI in this process, with a terminal that answers `answer` */
  const interactive = async (answer: boolean, ...args: string[]) => {
    const out: string[] = [];
    const asked: string[] = [];
    const code = await configCommand('apply', ['-f', file, ...args], {
      url: t.url,
      apiKey: ADMIN_KEY,
      out: (l) => out.push(l),
      err: (l) => out.push(l),
      confirm: (q) => {
        asked.push(q);
        return Promise.resolve(answer);
      },
    });
    return { code, out: out.join('\n'), asked };
  };

  before(async () => {
    t = await startTestPlatform();
    store = t.platform.services.eventStore;
    file = path.join(await mkdtemp(path.join(tmpdir(), 'sinas-plan-')), 'plan.yaml');
  });
  after(async () => {
    await t?.stop();
  });

  it('without a terminal: prints the plan of creates, then applies it', async () => {
    await writeFile(file, config('first'));
    const r = await cli();
    expect(r.status, r.stderr).to.equal(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).to.match(/^\+ create\s+function plan\/echo$/);
    expect(lines[1]).to.match(/^\+ create\s+agent plan\/helper$/);
    expect(lines[2]).to.equal('dry run: 2 would be created, 0 would be updated, 0 unchanged');
    expect(lines[3]).to.equal('2 created, 0 updated, 0 unchanged');
    expect((await t.api('/api/v1/agents/plan/helper')).status).to.equal(200);
  });

  it('an update shows the fields it changes and the count left unchanged', async () => {
    await writeFile(file, config('second'));
    const r = await cli();
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^~ update\s+agent plan\/helper \(description\)$/m);
    expect(r.stdout).to.include('= 1 unchanged\n');
    expect(r.stdout).to.include('0 created, 1 updated, 1 unchanged');
  });

  it('nothing to change: says so and writes nothing', async () => {
    const before = await store.headPosition();
    const r = await cli();
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(
      '= 2 unchanged\ndry run: 0 would be created, 0 would be updated, 2 unchanged\nnothing to apply\n',
    );
    expect(await store.headPosition()).to.equal(before);
  });

  it('a terminal is asked; a declined plan writes nothing, an accepted one applies', async () => {
    await writeFile(file, config('third'));
    const before = await store.headPosition();
    const declined = await interactive(false);
    expect(declined.code).to.equal(1);
    expect(declined.asked).to.have.length(1);
    expect(declined.out)
      .to.match(/~ update\s+agent plan\/helper \(description\)/)
      .and.include('not applied');
    expect(await store.headPosition()).to.equal(before);

    const accepted = await interactive(true);
    expect(accepted.code).to.equal(0);
    expect(accepted.out).to.include('0 created, 1 updated, 1 unchanged');
    const agent = (await (await t.api('/api/v1/agents/plan/helper')).json()) as { description: string };
    expect(agent.description).to.equal('third');
  });

  it('--yes applies without asking', async () => {
    await writeFile(file, config('fourth'));
    const r = await interactive(false, '--yes');
    expect(r.code).to.equal(0);
    expect(r.asked).to.deep.equal([]);
    expect(r.out).to.include('0 created, 1 updated, 1 unchanged');
  });
});
