/**
 * `CONFIG_FILE` with `AUTO_APPLY_CONFIG` and a real `npm start`: the file is applied before the API
 * serves, a restart applies it again with everything unchanged, a file that cannot be read or
 * applied stops the start with a message naming the file and the path of each problem, and without
 * `AUTO_APPLY_CONFIG` (as in the original) the file is not applied at all.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '../support/services.js';
import { ADMIN_KEY } from '../support/platform.js';
import { sinasProcesses, startSinas, type SinasProcess } from '../support/sinas-process.js';

const CONFIG = `
apiVersion: sinas.co/v1
kind: SinasConfig
metadata: { name: boot }
spec:
  functions:
    - namespace: boot
      name: echo
      code: |
        def handler(input_data, context):
            return input_data
  agents:
    - namespace: boot
      name: helper
      enabledFunctions: [boot/echo]
`;

/** the summary of the `CONFIG_FILE applied` log line */
function appliedSummary(s: SinasProcess): Record<string, Record<string, number>> {
  const line = s
    .stdout()
    .split('\n')
    .find((l) => l.includes('"CONFIG_FILE applied"'));
  expect(line, s.stdout() + s.stderr()).to.be.a('string');
  return JSON.parse(line!) as Record<string, Record<string, number>>;
}

describe('CONFIG_FILE: a config applied at start-up', function () {
  this.timeout(600_000);
  const procs = sinasProcesses('sinas-config-file-');
  after(() => procs.cleanUp());
  let dir: string;
  let file: string;
  const start = async (env: Record<string, string>) =>
    procs.track(
      startSinas(dir, await freePort(), { SINAS_ADMIN_API_KEY: ADMIN_KEY, LOG_LEVEL: 'info', ...env }),
    );

  before(() => {
    dir = procs.dataDir();
    file = path.join(path.dirname(dir), 'boot.yaml');
    writeFileSync(file, CONFIG);
  });

  it('without AUTO_APPLY_CONFIG the file is not applied, and the log says why', async () => {
    const s = await start({ CONFIG_FILE: file });
    await s.healthy();
    const agent = await fetch(`${s.url}/api/v1/agents/boot/helper`, { headers: { 'x-api-key': ADMIN_KEY } });
    expect(agent.status).to.equal(404);
    expect(s.stdout()).to.include('CONFIG_FILE not applied: AUTO_APPLY_CONFIG is not set');
    expect(s.stdout()).not.to.include('"CONFIG_FILE applied"');
    expect(await s.stop()).to.equal(0);
  });

  it('applies the file before serving, and a restart finds everything unchanged', async () => {
    let s = await start({ CONFIG_FILE: file, AUTO_APPLY_CONFIG: 'true' });
    await s.healthy();
    expect(appliedSummary(s).created).to.deep.equal({ function: 1, agent: 1 });
    const agent = await fetch(`${s.url}/api/v1/agents/boot/helper`, { headers: { 'x-api-key': ADMIN_KEY } });
    expect(agent.status).to.equal(200);
    expect(((await agent.json()) as { version: number }).version).to.equal(1);
    expect(await s.stop()).to.equal(0);

    s = await start({ CONFIG_FILE: file, AUTO_APPLY_CONFIG: 'true' });
    await s.healthy();
    const again = appliedSummary(s);
    expect(again.created).to.deep.equal({});
    expect(again.updated).to.deep.equal({});
    expect(again.unchanged).to.deep.equal({ function: 1, agent: 1 });
    const same = await fetch(`${s.url}/api/v1/agents/boot/helper`, { headers: { 'x-api-key': ADMIN_KEY } });
    expect(((await same.json()) as { version: number }).version).to.equal(1);
    expect(await s.stop()).to.equal(0);
  });

  it('a file with a dangling reference stops the start, naming the file and the path', async () => {
    const bad = path.join(path.dirname(dir), 'bad.yaml');
    writeFileSync(bad, CONFIG.replace('enabledFunctions: [boot/echo]', 'enabledFunctions: [boot/none]'));
    const s = await start({ CONFIG_FILE: bad, AUTO_APPLY_CONFIG: 'true' });
    expect(await s.exited).to.equal(1);
    expect(s.stderr()).to.include(`Sinas could not start: CONFIG_FILE ${bad} is not applicable`);
    expect(s.stderr()).to.include("spec.agents[0].enabledFunctions[0]: no function 'boot/none'");
  });

  it('a file that is not there stops the start, saying so', async () => {
    const missing = path.join(path.dirname(dir), 'missing.yaml');
    const s = await start({ CONFIG_FILE: missing, AUTO_APPLY_CONFIG: '1' });
    expect(await s.exited).to.equal(1);
    expect(s.stderr()).to.include(`CONFIG_FILE ${missing} could not be read (ENOENT)`);
  });
});
